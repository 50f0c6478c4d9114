// The filter builder's model and its translation to the API's filter tree.
import type { Field, FilterNode } from '@/api/types'
import { NO_VALUE_OPS } from '@/registries/fieldTypes/types'

export interface Condition {
  kind: 'cond'
  field: string
  op: string
  value: unknown
}
/** A formula condition row: the records for which a boolean formula over the table is TRUE
 * (``{"formula": "..."}`` in the API tree), aggregates over relations included. ``error`` is the
 * server's check of it, shown under the row (never sent). */
export interface FormulaRow {
  kind: 'formula'
  formula: string
  error?: string
}
/** A node the builder does not edit (a ``not``): kept as it is, so a saved view still saves. */
export interface KeptNode {
  kind: 'kept'
  node: FilterNode
}
export type Item = Condition | FormulaRow | KeptNode | Group
export interface Group {
  kind: 'and' | 'or'
  items: Item[]
}

export function emptyGroup(kind: 'and' | 'or' = 'and'): Group {
  return { kind, items: [] }
}

function complete(c: Condition): boolean {
  if (!c.field || !c.op) return false
  if (NO_VALUE_OPS.has(c.op)) return true
  const v = c.value
  if (v === null || v === undefined || v === '') return false
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => x !== null && x !== undefined && x !== '')
  return true
}

interface Built {
  node: FilterNode
  /** Records where each row ended up in the tree (``filter.and.1.formula``). */
  place: (loc: string, out: Map<object, string>) => void
}

function build(g: Group): Built | null {
  const parts: Built[] = []
  for (const it of g.items) {
    if (it.kind === 'cond') {
      if (!complete(it)) continue
      const node: FilterNode = NO_VALUE_OPS.has(it.op) ? { field: it.field, op: it.op } : { field: it.field, op: it.op, value: it.value }
      parts.push({ node, place: (loc, out) => out.set(it, loc) })
    } else if (it.kind === 'formula') {
      if (!it.formula.trim()) continue
      parts.push({ node: { formula: it.formula }, place: (loc, out) => out.set(it, `${loc}.formula`) })
    } else if (it.kind === 'kept') {
      parts.push({ node: it.node, place: (loc, out) => out.set(it, loc) })
    } else {
      const sub = build(it)
      if (sub) parts.push(sub)
    }
  }
  if (!parts.length) return null
  if (parts.length === 1) return parts[0]
  const kind = g.kind
  const nodes = parts.map((p) => p.node)
  return {
    node: kind === 'and' ? { and: nodes } : { or: nodes },
    place: (loc, out) => parts.forEach((p, i) => p.place(`${loc}.${kind}.${i}`, out)),
  }
}

/** The API tree, leaving out conditions not filled in yet; null when nothing filters. */
export function toApi(g: Group): FilterNode | null {
  return build(g)?.node ?? null
}

/** Where each row of the builder is in ``toApi(g)``, as a 422's field names it (``root``: the
 * tree's own location, ``filter`` in a records query). */
export function locations(g: Group, root = 'filter'): Map<object, string> {
  const out = new Map<object, string>()
  build(g)?.place(root, out)
  return out
}

/** The formula rows of a builder, nested groups included. */
export function formulaRows(g: Group): FormulaRow[] {
  return g.items.flatMap((it) => (it.kind === 'formula' ? [it] : it.kind === 'and' || it.kind === 'or' ? formulaRows(it) : []))
}

/** Put the messages of a 422 (field → messages) under the formula rows they are about; true
 * when one was. */
export function showErrors(g: Group, errors: Record<string, string[]>, root = 'filter'): boolean {
  const locs = locations(g, root)
  let shown = false
  for (const row of formulaRows(g)) {
    const at = locs.get(row)
    const messages = at ? errors[at] : undefined
    row.error = messages?.length ? messages.join(' ') : undefined
    if (messages?.length) shown = true
  }
  return shown
}

export function countConditions(g: Group): number {
  return g.items.reduce((n, it) => {
    if (it.kind === 'cond') return n + (complete(it) ? 1 : 0)
    if (it.kind === 'formula') return n + (it.formula.trim() ? 1 : 0)
    if (it.kind === 'kept') return n + 1
    return n + countConditions(it)
  }, 0)
}

export function defaultValue(field: Field | undefined, op: string): unknown {
  if (NO_VALUE_OPS.has(op)) return null
  if (op === 'last_n_days' || op === 'next_n_days') return 7
  if (op === 'in' || op === 'not_in' || op.startsWith('has_')) return []
  if (op === 'between') return [null, null]
  if (field?.type === 'boolean') return true
  return null
}

/** The builder's model of an API tree (the inverse of toApi). */
export function fromApi(node: FilterNode | null | undefined): Group {
  if (!node) return emptyGroup()
  if ('and' in node) return { kind: 'and', items: node.and.map(item) }
  if ('or' in node) return { kind: 'or', items: node.or.map(item) }
  return { kind: 'and', items: [item(node)] }
}

function item(node: FilterNode): Item {
  if ('and' in node || 'or' in node) return fromApi(node)
  if ('formula' in node) return { kind: 'formula', formula: node.formula }
  if (!('field' in node)) return { kind: 'kept', node }
  return { kind: 'cond', field: node.field, op: node.op, value: node.value ?? null }
}
