// What a filter condition compares: the field itself, or for a lookup of a stored field of a
// related table, that field (the API compares the looked-up value: "tickets with status =
// open" seen from the customer; src/cairn/query/linked_filters.py). The lookup keeps its own
// blank tests first; the target's other operators follow, with the target's value input.
import type { Component } from 'vue'
import type { Field } from '@/api/types'
import { useMeta } from '@/stores/meta'
import { typeOf } from '@/registries/fieldTypes'
import { EMPTY_OPS } from '@/registries/fieldTypes/types'

/** The operators a lookup takes on its looked-up value (as the API names them). */
const VALUE_OPS = new Set([
  'eq', 'ne', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'between', 'contains', 'starts_with',
  'today', 'yesterday', 'last_n_days', 'next_n_days', 'this_week', 'this_month', 'this_year',
])
/** Target types whose value is not a column of the target table. */
const NOT_STORED = new Set(['relation', 'subform', 'lookup', 'rollup', 'formula'])

export interface FilterSubject {
  /** The field whose value input and choices a condition shows. */
  field: Field
  operators: string[]
  input: Component | null
}

/** The field a lookup shows, when it is a stored field of a related table. */
export function lookedUp(field: Field, fields: Field[], app: string): Field | undefined {
  if (field.type !== 'lookup') return undefined
  const rel = fields.find((f) => f.key === field.options?.relation && f.type === 'relation')
  const table = rel ? useMeta().tableById(app, rel.options.target_table) : undefined
  const target = table?.fields.find((f) => f.key === field.options?.field)
  if (!target || NOT_STORED.has(target.type) || target.options?.sensitive) return undefined
  return target
}

export function filterSubject(field: Field, fields: Field[], app: string): FilterSubject {
  const target = lookedUp(field, fields, app)
  if (!target) {
    const ui = typeOf(field)
    return { field, operators: ui.operators, input: ui.filterInput }
  }
  const ui = typeOf(target)
  const ops = ui.operators.filter((op) => VALUE_OPS.has(op) && !EMPTY_OPS.includes(op))
  return { field: target, operators: [...EMPTY_OPS, ...ops], input: ui.filterInput }
}
