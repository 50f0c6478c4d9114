// Dashboard-wide filters: what a value looks like for each filter type, the date-range presets
// (resolved on the server's clock, in the app's time zone: see reports/dashboards.py), and the
// fields a filter may use (the fields of the tables the dashboard's widgets read).
import type { Field, Table } from '@/api/types'
import { typeOf } from '@/registries/fieldTypes'
import type { FilterSpec, FilterValues, WidgetSpec } from './api'

export const PRESETS = ['today', 'yesterday', 'this_week', 'this_month', 'this_year', 'last_n_days'] as const
export type Preset = (typeof PRESETS)[number]

/** A date range's value: a preset, or both ends (local dates, both included). */
export type DateRangeValue = { preset: Preset; days?: number } | [string, string]

export function isPreset(v: unknown): v is { preset: Preset; days?: number } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { preset?: unknown }).preset === 'string'
}

export function isRange(v: unknown): v is [string, string] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string'
}

/** Whether a filter has a value that narrows anything. */
export function hasValue(v: unknown): boolean {
  return !(v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0))
}

/** The values to ask the data with: each filter's chosen value, else its default; a filter
 * cleared by the user is sent as null (so its default does not apply). */
export function effectiveValues(filters: FilterSpec[], chosen: FilterValues): FilterValues {
  const out: FilterValues = {}
  for (const f of filters) {
    if (f.key in chosen) out[f.key] = chosen[f.key] ?? null
    else if (hasValue(f.default)) out[f.key] = f.default
  }
  return out
}

/** The tables the widgets read (a KPI widget: its ``params.table`` when it names one). */
export function tablesUsed(widgets: WidgetSpec[]): string[] {
  const out = new Set<string>()
  for (const w of widgets) {
    if (w.dataset?.table) out.add(w.dataset.table)
    const t = (w.kpi?.params as Record<string, unknown> | undefined)?.table
    if (typeof t === 'string') out.add(t)
  }
  return [...out]
}

/** The system date columns every table has. */
export const SYSTEM_DATES = ['created_at', 'updated_at'] as const
/** The system user columns a department filter can use. */
export const SYSTEM_USERS = ['owner_id', 'created_by'] as const

export function isDateField(f: Field): boolean {
  return f.type === 'date' || f.type === 'datetime'
}

/** Fields a filter of ``type`` can use in ``table``: dates for a period, users for a
 * department, and for a field filter any other field the grid can filter on. */
export function fieldsFor(type: FilterSpec['type'], table: Table | undefined): Field[] {
  const fields = table?.fields ?? []
  if (type === 'date_range') return fields.filter(isDateField)
  if (type === 'department') return fields.filter((f) => f.type === 'user')
  return fields.filter((f) => !isDateField(f) && !!typeOf(f).filterInput && typeOf(f).operators.length > 0)
}

/** The operator a field filter's value input works with: several values for choices,
 * relations and users, one value for the rest (the server: a list → "in", else "eq"). */
export function fieldOp(f: Field): 'in' | 'eq' {
  return ['single_select', 'multi_select', 'relation', 'user'].includes(f.type) ? 'in' : 'eq'
}
