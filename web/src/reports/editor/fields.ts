// What a widget may group by and aggregate: the fields of its table the caller may read (the
// table listing hides the others), the system columns, and through each relation the fields
// of the linked table (``customer.city``), mirroring src/cairn/reports/refs.py: a field that
// is not stored, not groupable, sensitive or a list is left out, so the editor offers nothing
// the server would refuse for its type. Measures also take a field computed when read that holds
// one number per record (refs.py resolve_value): a formula with a number result, a number
// looked up through a single relation; those are not offered to group by.
import type { Field, Table } from '@/api/types'

/** The value family as reports see it (meta/fieldtypes ``value_type``). */
export type ValueType = 'text' | 'number' | 'date' | 'datetime' | 'choice' | 'boolean' | 'user' | 'relation'

const VALUE_TYPES: Record<string, ValueType> = {
  text: 'text', email: 'text', phone: 'text', url: 'text', auto_number: 'text',
  number: 'number', currency: 'number', percent: 'number', rating: 'number', rollup: 'number',
  date: 'date', datetime: 'datetime',
  single_select: 'choice', boolean: 'boolean', user: 'user', relation: 'relation',
}

/** System columns every record has (refs.py SYSTEM_FIELD_TYPES). */
export const SYSTEM_FIELDS: { key: string; vt: ValueType }[] = [
  { key: 'created_at', vt: 'datetime' },
  { key: 'updated_at', vt: 'datetime' },
  { key: 'created_by', vt: 'user' },
  { key: 'owner_id', vt: 'user' },
]

export interface ReportField {
  /** What the dataset names: ``city``, ``customer.city``, ``created_at``. */
  key: string
  /** As the user reads it: ``城市``, ``客户 › 城市``. */
  name: string
  vt: ValueType
  /** The relation it is read through (its name), for grouping in pickers. */
  via: string | null
  /** The field itself (null for a system column). */
  field: Field | null
  /** Computed when read (a formula, a lookup): measures aggregate it, nothing groups by it. */
  computed?: boolean
}

function usable(f: Field): ValueType | null {
  if (f.options?.sensitive) return null
  return VALUE_TYPES[f.type] ?? null
}

/** A formula's result types a measure reads as numbers (refs.py FORMULA_NUMBERS). */
const FORMULA_NUMBERS = new Set(['number', 'duration'])

/** The number a field computed when read holds, null when it is not one number per record. */
function computedNumber(f: Field, table: Table, tables: Table[]): ValueType | null {
  if (f.options?.sensitive) return null
  if (f.type === 'formula') return FORMULA_NUMBERS.has(f.options?.result_type) ? 'number' : null
  if (f.type !== 'lookup') return null
  const rel = table.fields.find((x) => x.key === f.options?.relation)
  if (!rel || rel.options?.multiple !== false) return null
  const target = tables.find((t) => t.key === rel.options?.target_table || t.id === Number(rel.options?.target_table_id))
  const looked = target?.fields.find((x) => x.key === f.options?.field)
  return looked && !looked.options?.sensitive && usable(looked) === 'number' ? 'number' : null
}

/** The fields a widget over ``table`` may use. ``systemName`` names the system columns;
 * ``computed``: also the table's formulas and lookups holding a number (for measures). */
export function reportFields(table: Table | undefined, tables: Table[], systemName: (key: string) => string, computed = false): ReportField[] {
  if (!table) return []
  const out: ReportField[] = []
  const system = (via: Field | null) =>
    SYSTEM_FIELDS.map((s) => ({
      key: via ? `${via.key}.${s.key}` : s.key,
      name: via ? `${via.name} › ${systemName(s.key)}` : systemName(s.key),
      vt: s.vt,
      via: via?.name ?? null,
      field: null,
    }))
  for (const f of table.fields) {
    const vt = usable(f)
    if (vt) out.push({ key: f.key, name: f.name, vt, via: null, field: f })
    const number = computed && !vt ? computedNumber(f, table, tables) : null
    if (number) out.push({ key: f.key, name: f.name, vt: number, via: null, field: f, computed: true })
  }
  out.push(...system(null))
  for (const rel of table.fields.filter((f) => f.type === 'relation')) {
    // The API names the target by key (``target_table``); the stored options by id.
    const target = tables.find((t) => t.key === rel.options?.target_table || t.id === Number(rel.options?.target_table_id))
    if (!target) continue // not readable by the caller: nothing through it
    for (const f of target.fields) {
      const vt = usable(f)
      // Through a relation: stored plain values only (not another relation, not a rollup).
      if (!vt || vt === 'relation' || f.type === 'rollup') continue
      out.push({ key: `${rel.key}.${f.key}`, name: `${rel.name} › ${f.name}`, vt, via: rel.name, field: f })
    }
    out.push(...system(rel).filter((s) => s.vt !== 'user'))
  }
  return out
}

/** Aggregations the editor offers, with the value types each takes (aggregations.py). */
export const AGGS: { key: string; needsField: boolean; types: ValueType[] | null }[] = [
  { key: 'count', needsField: false, types: null },
  { key: 'distinct', needsField: true, types: null },
  { key: 'sum', needsField: true, types: ['number'] },
  { key: 'avg', needsField: true, types: ['number'] },
  { key: 'min', needsField: true, types: ['number', 'date', 'datetime'] },
  { key: 'max', needsField: true, types: ['number', 'date', 'datetime'] },
  { key: 'formula', needsField: false, types: null },
]

/** The fields ``agg`` may aggregate. */
export function fieldsForAgg(agg: string, fields: ReportField[]): ReportField[] {
  const a = AGGS.find((x) => x.key === agg)
  if (!a || agg === 'formula') return []
  return a.types ? fields.filter((f) => a.types!.includes(f.vt)) : fields
}

export const isDate = (vt: ValueType | undefined) => vt === 'date' || vt === 'datetime'
export const BUCKETS = ['day', 'week', 'month', 'quarter', 'year'] as const
export type Bucket = (typeof BUCKETS)[number]
