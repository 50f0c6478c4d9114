// Dashboards as the dashboard pages use them (/api/v1/apps/{app}/dashboards): the definition
// (widgets on a 12-column grid, dashboard-wide filters, the roles that see it), each widget's
// data under the filters' values, a widget's export, and drill-down to the records behind a
// point (the saved widget's, or an unsaved widget's through the preview endpoints).
import { api, ApiError, cookie } from '@/api/client'
import { V1 } from '@/api/paths'
import type { components } from '@/api/schema'
import type { FilterNode } from '@/api/types'

const e = encodeURIComponent

export type WidgetSpec = components['schemas']['WidgetSpec']
export type FilterSpec = components['schemas']['FilterSpec']
export type DatasetSpec = components['schemas']['DatasetSpec']
export type DimensionSpec = components['schemas']['DimensionSpec']
export interface Layout { x: number; y: number; w: number; h: number }

export interface Dashboard {
  id: number
  key: string
  name: string
  description: string
  position: number
  version: number
  widgets: WidgetSpec[]
  filters: FilterSpec[]
  roles: string[]
  created_at: string
  updated_at: string
}

/** What create and update take (update also the ``version`` it was based on). */
export type DashboardDraft = Pick<Dashboard, 'key' | 'name' | 'description' | 'position' | 'widgets' | 'filters' | 'roles'>

/** One widget's reply: ECharts-ready data, or why it has none. */
export interface WidgetData {
  type: string
  title: string
  data: any
  error?: { code: string; message: string } | null
}

export interface DashboardData {
  id: number
  version: number
  widgets: Record<string, WidgetData>
}

/** The records behind drilled points: the grid opens with this filter. */
export interface DrillTarget {
  table: string
  filter: FilterNode | null
}

/** A filter's value as the data endpoint takes it: a date range ``[start, end]`` or a preset
 * ``{preset, days?}``; a field's value (or values); a department id. */
export type FilterValues = Record<string, unknown>

export const dashPaths = {
  list: (app: string) => `${V1}/apps/${e(app)}/dashboards`,
  one: (app: string, id: number) => `${V1}/apps/${e(app)}/dashboards/${id}`,
  data: (app: string, id: number) => `${V1}/apps/${e(app)}/dashboards/${id}/data`,
  export: (app: string, id: number, wid: string) => `${V1}/apps/${e(app)}/dashboards/${id}/widgets/${e(wid)}/export`,
  drill: (app: string, id: number, wid: string) => `${V1}/apps/${e(app)}/dashboards/${id}/widgets/${e(wid)}/drill`,
  preview: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview`,
  previewDrill: (app: string) => `${V1}/apps/${e(app)}/dashboards/preview/drill`,
}

function withFilters(path: string, values: FilterValues, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra)
  if (Object.keys(values).length) q.set('filters', JSON.stringify(values))
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

export const dashboards = {
  list: (app: string) => api.get<{ items: Dashboard[] }>(dashPaths.list(app)).then((r) => r.items),
  get: (app: string, id: number) => api.get<Dashboard>(dashPaths.one(app, id)),
  create: (app: string, d: DashboardDraft) => api.post<Dashboard>(dashPaths.list(app), d),
  update: (app: string, id: number, d: DashboardDraft, version: number) => api.put<Dashboard>(dashPaths.one(app, id), { ...d, version }),
  remove: (app: string, id: number) => api.del(dashPaths.one(app, id)),
  data: (app: string, id: number, values: FilterValues) => api.get<DashboardData>(withFilters(dashPaths.data(app, id), values)),
  drill: (app: string, id: number, wid: string, points: unknown[][], values: FilterValues) =>
    api.post<DrillTarget>(dashPaths.drill(app, id, wid), { points, values }),
  preview: (app: string, widget: WidgetSpec, filters: FilterSpec[], values: FilterValues) =>
    api.post<WidgetData>(dashPaths.preview(app), { widget, filters, values }),
  previewDrill: (app: string, widget: WidgetSpec, points: unknown[][], filters: FilterSpec[], values: FilterValues) =>
    api.post<DrillTarget>(dashPaths.previewDrill(app), { widget, points, filters, values }),
  exportUrl: (app: string, id: number, wid: string, format: 'xlsx' | 'csv', values: FilterValues) =>
    withFilters(dashPaths.export(app, id, wid), values, { format }),
}

/** The draft of a saved dashboard (what PUT takes besides the version). */
export function draftOf(d: Dashboard): DashboardDraft {
  return {
    key: d.key,
    name: d.name,
    description: d.description,
    position: d.position,
    widgets: d.widgets,
    filters: d.filters,
    roles: d.roles,
  }
}

/** GET a file (an export) and save it with the browser's own download; the name the server
 * gave (Content-Disposition) or ``fallbackName``. */
export async function downloadGet(path: string, fallbackName: string, language: string): Promise<string> {
  const headers: Record<string, string> = { 'Accept-Language': language }
  const token = cookie('cairn_csrf')
  if (token) headers['X-CSRF-Token'] = token
  const res = await fetch(path, { headers, credentials: 'same-origin' })
  if (!res.ok) {
    const ctype = res.headers.get('content-type') ?? ''
    const body = ctype.includes('json') ? await res.json() : { detail: await res.text() }
    throw new ApiError(res.status, body)
  }
  const disposition = res.headers.get('content-disposition') ?? ''
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName
  saveBlob(await res.blob(), name)
  return name
}

/** Save a blob (or a data URL) as a file. */
export function saveBlob(blob: Blob | string, name: string): void {
  const url = typeof blob === 'string' ? blob : URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  if (typeof blob !== 'string') setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A new widget id, unique in ``taken``. */
export function newWidgetId(taken: Iterable<string>): string {
  const used = new Set(taken)
  for (let i = 1; ; i++) {
    const id = `w${i}`
    if (!used.has(id)) return id
  }
}

/** A key for a new dashboard from its name: ASCII words kept, else ``dashboard_N``. */
export function keyFrom(name: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  let base = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40)
  if (!/^[a-z]/.test(base)) base = base ? `d_${base}` : 'dashboard'
  if (!used.has(base)) return base
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`
}
