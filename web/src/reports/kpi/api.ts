// The KPI library as the KPI page and the alert editor use it: the KPIs (GET .../reports/kpis,
// with their title and plain-words definition in the caller's language), the app's mapping of
// each KPI onto its tables and fields (.../kpi-mappings), and one KPI computed
// (POST .../reports/kpis/{key}: a period compared with the one before, optionally split).
import { api, ApiError } from '@/api/client'
import { V1 } from '@/api/paths'

const e = encodeURIComponent

export const kpiPaths = {
  list: (app: string) => `${V1}/apps/${e(app)}/reports/kpis`,
  compute: (app: string, key: string) => `${V1}/apps/${e(app)}/reports/kpis/${e(key)}`,
  mappings: (app: string) => `${V1}/apps/${e(app)}/kpi-mappings`,
  mapping: (app: string, key: string) => `${V1}/apps/${e(app)}/kpi-mappings/${e(key)}`,
}

/** A JSON schema, as Pydantic writes one (the parts the mapping form reads). */
export interface JsonSchema {
  type?: string
  title?: string
  description?: string
  default?: unknown
  enum?: unknown[]
  anyOf?: JsonSchema[]
  items?: JsonSchema
  $ref?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  $defs?: Record<string, JsonSchema>
  [extra: string]: unknown
}

export interface KpiDef {
  key: string
  /** ``%``, ``score``, ``hour``, ``currency``. */
  unit: string
  description: string
  /** The parameters' JSON schema (``table``, ``date_field``, ``score_field`` …). */
  params: JsonSchema
  /** In the caller's language (absent on an older server: the page's own names). */
  title?: string
  definition?: string
}

export interface KpiMapping {
  kpi: string
  params: Record<string, any>
  updated_at?: string | null
}

export interface KpiGroup {
  key: unknown
  label: string | null
  value: number | null
  values: Record<string, unknown>
}

/** One KPI computed (reports/kpi_base.py ``Kpi.compute``). */
export interface KpiResult {
  kpi: string
  unit: string
  value: number | null
  values: Record<string, unknown>
  period?: { start: string; end: string }
  previous_period?: { start: string; end: string }
  previous?: { value: number | null; values: Record<string, unknown> }
  change?: number | null
  groups?: KpiGroup[]
}

/** A reporting period (reports/periods.py ``PeriodSpec``): a preset or both ends (included). */
export interface PeriodSpec {
  preset?: 'today' | 'yesterday' | 'this_week' | 'this_month' | 'this_year' | 'last_n_days'
  days?: number
  start?: string
  end?: string
}

export async function listKpis(app: string): Promise<KpiDef[]> {
  return (await api.get<{ items: KpiDef[] }>(kpiPaths.list(app))).items
}

/** The app's mappings by KPI key; none when the server has no mappings yet (an older one). */
export async function listMappings(app: string): Promise<Record<string, KpiMapping>> {
  try {
    const r = await api.get<{ items: KpiMapping[] }>(kpiPaths.mappings(app))
    return Object.fromEntries(r.items.map((m) => [m.kpi, m]))
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return {}
    throw err
  }
}

export function saveMapping(app: string, key: string, params: Record<string, any>): Promise<KpiMapping> {
  return api.put<KpiMapping>(kpiPaths.mapping(app, key), { params })
}

export function deleteMapping(app: string, key: string): Promise<void> {
  return api.del<void>(kpiPaths.mapping(app, key))
}

export function computeKpi(app: string, key: string, params: Record<string, any>): Promise<KpiResult> {
  return api.post<KpiResult>(kpiPaths.compute(app, key), params)
}
