// What the widget editor asks the server: a preview of the unsaved widget (POST
// dashboards/preview: the data as the dashboard would show it, or 422 with the errors by
// location under ``widget.``), the records behind a preview point, the KPI library and the
// app's KPI mappings (a KPI widget without a table uses the mapping).
import { api, ApiError } from '@/api/client'
import { V1 } from '@/api/paths'
import type { FilterNode } from '@/api/types'
import type { FilterSpec, WidgetSpec } from './model'

const e = encodeURIComponent

export const editorPaths = {
  preview: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview`,
  previewDrill: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview/drill`,
  kpis: (app: string) => `${V1}/apps/${e(app)}/reports/kpis`,
  mappings: (app: string) => `${V1}/apps/${e(app)}/kpi-mappings`,
}

/** One widget's data: as one entry of a dashboard's ``data.widgets``. */
export interface WidgetData {
  type: string
  title: string
  data: any
  error?: { code: string; message: string } | null
}

export interface KpiInfo {
  key: string
  unit: string
  description: string
  /** The parameters' JSON schema. */
  params: Record<string, any>
  /** In the caller's language, when the server gives them. */
  title?: string
  definition?: string
}

export interface KpiMapping {
  kpi: string
  params: Record<string, any>
}

export function previewWidget(app: string, widget: WidgetSpec, filters: FilterSpec[] = [], values: Record<string, unknown> = {}): Promise<WidgetData> {
  return api.post<WidgetData>(editorPaths.preview(app), { widget, filters, values })
}

/** The records behind points of the preview (``measure``: the series' measure, if several). */
export function drillPreview(app: string, widget: WidgetSpec, points: unknown[][], filters: FilterSpec[] = [], measure?: string): Promise<{ table: string; filter: FilterNode | null }> {
  return api.post(editorPaths.previewDrill(app), { widget, points, filters, ...(measure ? { measure } : {}) })
}

export async function listKpis(app: string): Promise<KpiInfo[]> {
  return (await api.get<{ items: KpiInfo[] }>(editorPaths.kpis(app))).items
}

/** The app's KPI mappings; none on a server without the endpoint. */
export async function listMappings(app: string): Promise<KpiMapping[]> {
  try {
    return (await api.get<{ items: KpiMapping[] }>(editorPaths.mappings(app))).items
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return []
    throw err
  }
}
