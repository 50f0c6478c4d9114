// Data linkage in a record form (the server's side: src/cairn/query/datalink.py,
// services/record_fill.py, store/cascades.py).
// - Fill: picking a related record in a single relation whose options name ``fill`` pairs copies
//   those fields of the record into the form at once (visible and editable), as the reader may
//   see them: a field hidden from them is not in the record read, a masked one is left alone.
// - Cascading choices: a choice field with a ``parent`` offers only the options its ``cascade``
//   lists under the parent's value (none while the parent is blank), and is cleared when the
//   parent changes so that it no longer fits.
// A page with a record form provides the link (provideDataLink); FieldInput hands it to the
// editor it renders (useEditorLink), so a select elsewhere (a filter) is left as it is.
import { inject, provide, type InjectionKey } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Field, RecordData } from '@/api/types'
import { typeOf } from '@/registries/fieldTypes'
import { isBlank } from '@/registries/fieldTypes/types'
import { useMeta } from '@/stores/meta'

export interface DataLinkOptions {
  app: () => string
  /** The fields the form shows. */
  fields: () => Field[]
  /** The form's values by field key (reactive). */
  values: Record<string, unknown>
  /** May the form write this field now? Default: its type is writable. */
  editable?: (f: Field) => boolean
}

export interface DataLink {
  /** The options ``field`` offers under the form's values (null: all of them). */
  allowed(field: Field): string[] | null
  /** The name of the field ``field``'s options depend on. */
  parentName(field: Field): string
  /** The user set ``field`` to what the form now holds: fill and clear what follows from it. */
  changed(field: Field): Promise<void>
  /** Blank fields the form filled, for a write naming their relation: sent as null, so the
   *  server does not fill them again (a form sends only what is not blank or changed). */
  blanks(body: Record<string, unknown>): Record<string, null>
}

const FORM: InjectionKey<DataLink> = Symbol('dataLink.form')
const EDITOR: InjectionKey<DataLink> = Symbol('dataLink.editor')

/** Fields that can be filled or copied from (stored values; no relation, file or computed one). */
const NOT_COPYABLE = new Set(['relation', 'lookup', 'rollup', 'formula', 'attachment'])
export const copyable = (f: Field): boolean => !NOT_COPYABLE.has(f.type)
export const fillable = (f: Field): boolean => copyable(f) && typeOf(f).writable && f.type !== 'auto_number'

const TEXTUAL = new Set(['text', 'long_text', 'phone', 'email', 'url', 'vin', 'id_number', 'credit_code'])

/** A value of the related record as the filled field's editor holds it (as the server carries it). */
function carried(v: unknown, to: Field): unknown {
  if (Array.isArray(v) && to.type !== 'multi_select') return v.join(', ')
  if (typeof v === 'boolean' && TEXTUAL.has(to.type)) return v ? 'true' : 'false'
  if (typeof v === 'number' && TEXTUAL.has(to.type)) return String(v)
  return v
}

function relationId(v: unknown): number | null {
  const first = Array.isArray(v) ? v[0] : v
  if (first === null || first === undefined || first === '') return null
  const id = typeof first === 'object' ? (first as { id: number }).id : Number(first)
  return Number.isFinite(id) ? id : null
}

export function createDataLink(o: DataLinkOptions): DataLink {
  const meta = useMeta()
  const editable = (f: Field) => (o.editable ? o.editable(f) : typeOf(f).writable)
  /** Keys of fields a pick filled (cleared again when another pick starts). */
  const filled = new Set<string>()
  /** The last pick per relation: an earlier answer arriving late is dropped. */
  const picks = new Map<string, number>()
  let asked = 0

  function allowed(field: Field): string[] | null {
    const parent = field.options?.parent
    if (!parent) return null
    const pv = o.values[parent]
    if (isBlank(pv)) return []
    return field.options?.cascade?.[String(pv)] ?? []
  }

  function parentName(field: Field): string {
    const key = field.options?.parent ?? ''
    return o.fields().find((f) => f.key === key)?.name ?? key
  }

  /** Clear the choices depending on ``key`` that its value no longer allows (and theirs). */
  function clearBelow(key: string): void {
    for (const f of o.fields()) {
      if (f.options?.parent !== key) continue
      const ok = allowed(f) ?? []
      const v = o.values[f.key]
      if (Array.isArray(v)) {
        const kept = v.filter((x) => ok.includes(String(x)))
        if (kept.length === v.length) continue
        o.values[f.key] = kept
      } else if (!isBlank(v) && !ok.includes(String(v))) {
        o.values[f.key] = null
      } else continue
      clearBelow(f.key)
    }
  }

  async function fill(rel: Field): Promise<void> {
    const pairs: { from: string; to: string }[] = rel.options?.fill ?? []
    const id = relationId(o.values[rel.key])
    const mine = ++asked
    picks.set(rel.key, mine)
    for (const p of pairs) filled.delete(p.to)
    if (id === null || !pairs.length) return
    const app = o.app()
    const target = meta.tableById(app, rel.options?.target_table)
    if (!target) return
    let rec: RecordData
    try {
      rec = await api.get<RecordData>(paths.record(app, target.key, id))
    } catch {
      return // not readable: nothing to copy (the server copies nothing either)
    }
    if (picks.get(rel.key) !== mine) return // another record was picked meanwhile
    const masked = new Set(target.masked_fields ?? [])
    const here = new Map(o.fields().map((f) => [f.key, f]))
    for (const p of pairs) {
      const to = here.get(p.to)
      if (!to || !editable(to) || !(p.from in rec) || masked.has(p.from)) continue
      o.values[p.to] = carried(rec[p.from], to)
      filled.add(p.to)
      clearBelow(p.to)
    }
  }

  async function changed(field: Field): Promise<void> {
    clearBelow(field.key)
    if (field.type === 'relation' && field.options?.fill?.length) await fill(field)
  }

  function blanks(body: Record<string, unknown>): Record<string, null> {
    const out: Record<string, null> = {}
    for (const f of o.fields()) {
      if (f.type !== 'relation' || !(f.key in body) || relationId(body[f.key]) === null) continue
      for (const p of f.options?.fill ?? []) {
        if (filled.has(p.to) && !(p.to in body) && isBlank(o.values[p.to])) out[p.to] = null
      }
    }
    return out
  }

  return { allowed, parentName, changed, blanks }
}

/** Data linkage for the record form of this page (its FieldInputs use it). */
export function provideDataLink(o: DataLinkOptions): DataLink {
  const link = createDataLink(o)
  provide(FORM, link)
  return link
}

/** Data linkage inside one sub-form row (fields: the row's columns, values: the row): its
 *  cells' fills and cascading choices read and write the row, not the record's values. */
export function provideRowLink(o: DataLinkOptions): DataLink {
  const link = createDataLink(o)
  provide(FORM, link)
  provide(EDITOR, link)
  return link
}

/** The form's data linkage, in FieldInput (null outside a form that provides it). */
export function useDataLink(): DataLink | null {
  const link = inject(FORM, null)
  if (link) provide(EDITOR, link)
  return link
}

/** The data linkage of the form field an editor is rendered for (null elsewhere: a filter). */
export function useEditorLink(): DataLink | null {
  return inject(EDITOR, null)
}
