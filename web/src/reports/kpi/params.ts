// What each parameter of a KPI is, for the mapping form: read from the KPI's params JSON schema
// (its names, which are required, numbers and lists), and, for the names the schema types only
// as strings, what they pick — a table, a field of a given kind, a filter — so a field picker
// offers only the fields that fit (a score is a number, a response time a date and time).
import type { Field, Table } from '@/api/types'
import type { JsonSchema, KpiDef } from './api'

/** What a value of a field is, as the report engine compares it (number, date, choice …). */
export type ValueKind = 'number' | 'date' | 'datetime' | 'choice' | 'choices' | 'relation' | 'user' | 'text' | 'boolean' | 'other'

export type ParamKind = 'table' | 'field' | 'filter' | 'number' | 'time_unit' | 'stages' | 'text' | 'boolean'

export interface ParamSpec {
  name: string
  kind: ParamKind
  required: boolean
  /** The field kinds a ``field`` parameter accepts (null: any stored field). */
  accepts: ValueKind[] | null
  /** A ``field`` or ``filter`` parameter's table: another parameter naming it (``complaints_table``). */
  tableParam: string
  default: unknown
  title: string
}

/** Run-time parameters: the page and the alert set them (the period, the split), not the mapping. */
export const RUNTIME_PARAMS = new Set(['period', 'split', 'compare'])

const DATES: ValueKind[] = ['date', 'datetime']
/** The parameters the schema types as plain strings, by name. */
const FIELD_PARAMS: Record<string, ValueKind[] | null> = {
  date_field: DATES,
  since_field: DATES,
  lost_at_field: DATES,
  response_field: DATES,
  start_field: DATES,
  end_field: DATES,
  delivered_field: DATES,
  due_field: DATES,
  complaints_date_field: DATES,
  score_field: ['number'],
  amount_field: ['number'],
  customer_field: ['relation', 'text', 'user', 'choice'],
  asset_field: ['relation', 'text', 'choice'],
  stage_field: ['choice'],
}
const TABLE_PARAMS = new Set(['table', 'complaints_table'])
/** The table a field or filter parameter is on, when not the KPI's ``table``. */
const ON_TABLE: Record<string, string> = {
  complaints_filter: 'complaints_table',
  complaints_date_field: 'complaints_table',
}
/** System columns every table has, offered where a date field is asked for. */
export const SYSTEM_DATES = ['created_at', 'updated_at']

function types(s: JsonSchema): string[] {
  if (s.type) return [s.type]
  return (s.anyOf ?? []).map((x) => x.type ?? (x.$ref ? 'object' : '')).filter((x) => x && x !== 'null')
}

/** The mapping parameters of a KPI, in the schema's order (run-time ones left out). */
export function paramSpecs(kpi: KpiDef): ParamSpec[] {
  const props = kpi.params.properties ?? {}
  const required = new Set(kpi.params.required ?? [])
  const out: ParamSpec[] = []
  for (const [name, s] of Object.entries(props)) {
    if (RUNTIME_PARAMS.has(name)) continue
    const ty = types(s)
    const hinted = s['x-field-types'] as ValueKind[] | undefined
    let kind: ParamKind
    if (TABLE_PARAMS.has(name)) kind = 'table'
    else if (name.endsWith('_field') || hinted) kind = 'field'
    else if (name === 'filter' || name.endsWith('_filter')) kind = 'filter'
    else if (name === 'stages') kind = 'stages'
    else if (name === 'unit_of_time') kind = 'time_unit'
    else if (ty.includes('number') || ty.includes('integer')) kind = 'number'
    else if (ty.includes('boolean')) kind = 'boolean'
    else kind = 'text'
    out.push({
      name,
      kind,
      required: required.has(name),
      accepts: kind === 'field' ? (hinted ?? FIELD_PARAMS[name] ?? null) : null,
      tableParam: ON_TABLE[name] ?? 'table',
      default: s.default,
      title: s.title ?? name,
    })
  }
  return out
}

/** A field's value kind; a lookup's is the kind of the field it looks up. */
export function valueKind(f: Field, own: Table | undefined, tables: Table[]): ValueKind {
  switch (f.type) {
    case 'number':
    case 'currency':
    case 'percent':
    case 'rating':
    case 'rollup':
      return 'number'
    case 'date':
      return 'date'
    case 'datetime':
      return 'datetime'
    case 'single_select':
      return 'choice'
    case 'multi_select':
      return 'choices'
    case 'relation':
      return 'relation'
    case 'user':
      return 'user'
    case 'boolean':
      return 'boolean'
    case 'formula': {
      const r = String(f.options?.result_type ?? 'text')
      return r === 'number' || r === 'duration' ? 'number' : r === 'date' || r === 'datetime' || r === 'boolean' ? (r as ValueKind) : 'text'
    }
    case 'lookup': {
      const rel = own?.fields.find((x) => x.key === f.options?.relation)
      const to = rel?.options?.target_table ?? rel?.options?.target_table_id
      const target = tables.find((tb) => tb.key === to || tb.id === Number(to))
      const looked = target?.fields.find((x) => x.key === f.options?.field)
      return looked && looked.type !== 'lookup' ? valueKind(looked, target, tables) : 'other'
    }
    case 'attachment':
    case 'location':
      return 'other'
    default:
      return 'text'
  }
}

/** The fields of ``table`` a parameter accepts (stored ones only where a column is compared). */
export function fieldsFor(spec: ParamSpec, table: Table | undefined, tables: Table[]): Field[] {
  if (!table) return []
  const stored = spec.name === 'asset_field'
  return table.fields.filter((f) => {
    if (stored && ['lookup', 'rollup', 'formula'].includes(f.type)) return false
    if (!spec.accepts) return true
    return spec.accepts.includes(valueKind(f, table, tables))
  })
}

/** Whether a value is set (an empty list or filter is not). */
export function isSet(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  return true
}

/** The required parameters a mapping does not give yet. */
export function missing(kpi: KpiDef, params: Record<string, any> | null | undefined): ParamSpec[] {
  const p = params ?? {}
  return paramSpecs(kpi).filter((s) => s.required && !isSet(p[s.name]))
}

/** A mapping with empty values left out (an unset optional parameter takes its default). */
export function cleanParams(params: Record<string, any>): Record<string, any> {
  return Object.fromEntries(Object.entries(params).filter(([k, v]) => !RUNTIME_PARAMS.has(k) && isSet(v)))
}

/** KPIs where a smaller value is the better one (a rise shows red). */
export const LOWER_IS_BETTER = new Set(['churn_rate', 'first_response_time', 'average_waiting_time', 'complaint_rate'])
