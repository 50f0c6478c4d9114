// Which fields a match rule may compare, in the order the pickers show them: identity keys first
// (mobile, e-mail, VIN …: what finds the same person best), then text and contact fields; and
// the keys of a related record through a relation field ("VIN of the linked vehicle").
import type { Field, Table } from '@/api/types'
import { typeOf } from '@/registries/fieldTypes'
import type { RulePart } from './api'

/** One choice of a part's field picker: ``field`` of the table, or (``via`` a relation field
 *  of the table) ``field`` of the related table, as the API's rule parts say it. */
export interface PartChoice {
  value: string
  field: string
  via: string | null
  label: string
  key: boolean
}

const COMPARABLE = new Set(['text', 'contact'])

export const isKey = (f: Field): boolean => !!f.options?.identity_key
const comparable = (f: Field): boolean => isKey(f) || COMPARABLE.has(typeOf(f).group)
const isRelation = (f: Field): boolean => f.type === 'relation' && f.options?.target_table != null

/** The picker's value of a part ("mobile", or "vehicle>vin": the VIN through the relation
 *  field "vehicle"). */
export const partValue = (p: Pick<RulePart, 'field' | 'via'>): string => (p.via ? `${p.via}>${p.field ?? ''}` : (p.field ?? ''))

function byKeyFirst(a: PartChoice, b: PartChoice): number {
  return Number(b.key) - Number(a.key)
}

/** What a rule of ``table`` may compare: its own comparable fields, then through each relation
 *  the related table's keys (the related table's text fields are not offered: a name of a linked
 *  record says little about who the record is). ``keysOnly``: an exact rule's single key. */
export function partChoices(
  table: Table | undefined,
  related: (id: number | string) => Table | undefined,
  relatedLabel: (relation: string, field: string) => string,
  keysOnly = false,
): PartChoice[] {
  if (!table) return []
  const own = table.fields
    .filter((f) => comparable(f) && (!keysOnly || isKey(f)))
    .map((f) => ({ value: f.key, field: f.key, via: null, label: f.name, key: isKey(f) }))
  const through: PartChoice[] = []
  for (const rel of table.fields.filter(isRelation)) {
    const target = related(rel.options.target_table)
    for (const f of target?.fields.filter(isKey) ?? []) {
      through.push({ value: `${rel.key}>${f.key}`, field: f.key, via: rel.key, label: relatedLabel(rel.name, f.name), key: true })
    }
  }
  return [...own.sort(byKeyFirst), ...through]
}

/** The part a picker's value stands for (its compare kept). */
export function partOf(value: string, compare: RulePart['compare']): RulePart & { field: string } {
  const [first, second] = value.split('>')
  return second === undefined ? { field: first, via: null, compare } : { field: second, via: first, compare }
}
