// What the widget editor asks the server: a preview of the unsaved widget (POST
// dashboards/preview: the data as the dashboard would show it, or 422 with the errors by
// location under ``widget.``) and the records behind a preview point. The KPI library and the
// app's KPI mappings are read through ../kpi/api.ts.
import { api } from '@/api/client'
import { V1 } from '@/api/paths'
import type { FilterNode } from '@/api/types'
import type { FilterSpec, WidgetSpec } from './model'

const e = encodeURIComponent

export const editorPaths = {
  preview: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview`,
  previewDrill: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview/drill`,
}

/** One widget's data: as one entry of a dashboard's ``data.widgets``. */
export interface WidgetData {
  type: string
  title: string
  data: any
  error?: { code: string; message: string } | null
}

export function previewWidget(app: string, widget: WidgetSpec, filters: FilterSpec[] = [], values: Record<string, unknown> = {}): Promise<WidgetData> {
  return api.post<WidgetData>(editorPaths.preview(app), { widget, filters, values })
}

/** The records behind points of the preview (``measure``: the series' measure, if several). */
export function drillPreview(app: string, widget: WidgetSpec, points: unknown[][], filters: FilterSpec[] = [], measure?: string): Promise<{ table: string; filter: FilterNode | null }> {
  return api.post(editorPaths.previewDrill(app), { widget, points, filters, ...(measure ? { measure } : {}) })
}
