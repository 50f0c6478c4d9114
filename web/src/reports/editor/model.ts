// The widget editor's draft and the WidgetSpec it stands for (src/cairn/reports/dashboards.py):
// what each chart type uses of the dataset, the keys the sort names, and the settings the
// chart reads (colours, thresholds, titles per language, top N).
import type { components } from '@/api/schema'
import type { FilterNode } from '@/api/types'
import { fromApi, toApi, type Group } from '@/filters'
import type { Bucket } from './fields'

export type WidgetSpec = components['schemas']['WidgetSpec']
export type FilterSpec = components['schemas']['FilterSpec']
type DatasetSpec = components['schemas']['DatasetSpec']

/** The chart types the picker shows; ``donut`` is a pie with ``settings.donut``. */
export const CHART_TYPES = ['number', 'line', 'bar', 'stacked_bar', 'pie', 'donut', 'funnel', 'gauge', 'china_map', 'table', 'pivot'] as const
export type ChartType = (typeof CHART_TYPES)[number]
/** Types a KPI can feed (widgets.py ``sources``). */
export const KPI_TYPES = new Set<ChartType>(['number', 'line', 'bar', 'stacked_bar', 'pie', 'donut', 'funnel', 'gauge', 'table'])

/** How many dimensions a type draws (rows; a pivot also has columns) and measures. */
export function shapeOf(type: ChartType): { minDims: number; maxDims: number; measures: 'one' | 'many'; columns: boolean } {
  switch (type) {
    case 'number':
    case 'gauge':
      return { minDims: 0, maxDims: 0, measures: 'one', columns: false }
    case 'pie':
    case 'donut':
    case 'funnel':
    case 'china_map':
      return { minDims: 1, maxDims: 1, measures: 'one', columns: false }
    case 'line':
    case 'bar':
    case 'stacked_bar':
      return { minDims: 1, maxDims: 2, measures: 'many', columns: false }
    case 'table':
      return { minDims: 0, maxDims: 4, measures: 'many', columns: false }
    case 'pivot':
      return { minDims: 1, maxDims: 4, measures: 'many', columns: true }
  }
}

export interface DimDraft {
  field: string
  bucket: Bucket | null
}
export interface MeasureDraft {
  agg: string
  field: string
  formula: string
  /** Empty: the editor's label in the author's language (set when the spec is built). */
  label: string
}
export interface SortDraft {
  key: string
  direction: 'asc' | 'desc'
}

export interface Draft {
  id: string
  type: ChartType
  layout: WidgetSpec['layout']
  source: 'dataset' | 'kpi'
  table: string
  dims: DimDraft[]
  columns: DimDraft[]
  measures: MeasureDraft[]
  filter: Group
  sort: SortDraft | null
  topN: number | null
  limit: number
  kpi: string
  /** Use the app's KPI mapping (no ``table`` in the params). */
  kpiMapped: boolean
  kpiParams: Record<string, any>
  titleZh: string
  titleEn: string
  settings: Record<string, any>
}

/** The key the server gives a dimension without one (dimensions.py ``default_key``). */
export function dimKey(d: DimDraft): string {
  const base = d.field.replace(/\./g, '_')
  return d.bucket ? `${base}_${d.bucket}` : base
}

/** Unique measure keys (explicit in the spec, so the sort can name them). */
export function measureKeys(ms: MeasureDraft[]): string[] {
  const seen = new Set<string>()
  return ms.map((m, i) => {
    let k = m.agg === 'formula' ? `formula_${i + 1}` : m.field ? `${m.agg}_${m.field.replace(/\./g, '_')}` : m.agg
    k = k.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 60)
    if (!/^[a-z]/.test(k)) k = `m_${k}`.slice(0, 60)
    let out = k
    for (let n = 2; seen.has(out); n++) out = `${k}_${n}`
    seen.add(out)
    return out
  })
}

const SETTINGS_OWN = new Set(['title_zh', 'title_en', 'top_n', 'donut'])

/** The draft of a widget (new or saved). ``lang``: where a bare title goes. */
export function toDraft(w: WidgetSpec, lang: string, autoLabel: (m: MeasureDraft) => string): Draft {
  const s = (w.settings ?? {}) as Record<string, any>
  const ds = w.dataset as DatasetSpec | null | undefined
  const type = (w.type === 'pie' && s.donut ? 'donut' : w.type) as ChartType
  const measures: MeasureDraft[] = (ds?.measures ?? [{ agg: 'count' }]).map((m) => {
    const d: MeasureDraft = { agg: m.agg, field: m.field ?? '', formula: m.formula ?? '', label: '' }
    d.label = m.label && m.label !== autoLabel(d) ? m.label : ''
    return d
  })
  const keys = measureKeys(measures)
  const sort0 = ds?.sort?.[0]
  const zh = typeof s.title_zh === 'string' ? s.title_zh : ''
  const en = typeof s.title_en === 'string' ? s.title_en : ''
  const bare = !zh && !en ? w.title ?? '' : ''
  const settings = Object.fromEntries(Object.entries(s).filter(([k]) => !SETTINGS_OWN.has(k)))
  return {
    id: w.id,
    type: CHART_TYPES.includes(type) ? type : 'bar',
    layout: w.layout,
    source: w.kpi ? 'kpi' : 'dataset',
    table: ds?.table ?? '',
    dims: (ds?.dimensions ?? []).map((d) => ({ field: d.field, bucket: (d.bucket as Bucket) ?? null })),
    columns: (ds?.columns ?? []).map((d) => ({ field: d.field, bucket: (d.bucket as Bucket) ?? null })),
    measures,
    filter: fromApi((ds?.filter as FilterNode) ?? null),
    // A sort on a measure is kept by its position (the keys are the editor's own).
    sort: sort0 ? { key: remapSortKey(sort0.key, ds?.measures ?? [], keys), direction: sort0.direction ?? 'asc' } : null,
    topN: typeof s.top_n === 'number' ? s.top_n : null,
    limit: typeof s.top_n === 'number' ? 1000 : ds?.limit ?? 1000,
    kpi: w.kpi?.key ?? '',
    kpiMapped: !!w.kpi && !w.kpi.params?.table,
    kpiParams: { ...(w.kpi?.params ?? {}) },
    titleZh: lang.startsWith('zh') ? zh || bare : zh,
    titleEn: lang.startsWith('zh') ? en : en || bare,
    settings,
  }
}

function remapSortKey(key: string, specMeasures: DatasetSpec['measures'], keys: string[]): string {
  const i = (specMeasures ?? []).findIndex((m) => m.key === key)
  return i >= 0 ? keys[i] : key
}

/** The WidgetSpec the draft stands for. */
export function toSpec(d: Draft, autoLabel: (m: MeasureDraft) => string): WidgetSpec {
  const shape = shapeOf(d.type)
  const settings: Record<string, unknown> = { ...d.settings }
  if (d.titleZh.trim()) settings.title_zh = d.titleZh.trim()
  if (d.titleEn.trim()) settings.title_en = d.titleEn.trim()
  if (d.type === 'donut') settings.donut = true
  const title = d.titleZh.trim() || d.titleEn.trim()
  const base = { id: d.id, type: d.type === 'donut' ? 'pie' : d.type, title, layout: d.layout, settings }
  if (d.source === 'kpi') {
    const params = { ...d.kpiParams }
    if (d.kpiMapped) for (const k of Object.keys(params)) if (!['period', 'split', 'compare'].includes(k)) delete params[k]
    if (!params.split) delete params.split
    if (!params.period) delete params.period
    return { ...base, kpi: { key: d.kpi, params } }
  }
  const used = shape.measures === 'one' ? d.measures.slice(0, 1) : d.measures
  const keys = measureKeys(used)
  const measures = used.map((m, i) => {
    const out: Record<string, unknown> = { agg: m.agg, key: keys[i], label: m.label.trim() || autoLabel(m) }
    if (m.agg === 'formula') out.formula = m.formula
    else if (m.field) out.field = m.field
    return out
  })
  const dims = d.dims.slice(0, shape.maxDims).map((x) => (x.bucket ? { field: x.field, bucket: x.bucket } : { field: x.field }))
  const columns = shape.columns ? d.columns.map((x) => (x.bucket ? { field: x.field, bucket: x.bucket } : { field: x.field })) : []
  const validKeys = new Set([...dims.map((x) => dimKey(x as DimDraft)), ...columns.map((x) => dimKey(x as DimDraft)), ...keys])
  let sort = d.sort && validKeys.has(d.sort.key) ? [{ key: d.sort.key, direction: d.sort.direction }] : []
  let limit = d.limit
  if (d.topN && dims.length) {
    settings.top_n = d.topN
    limit = d.topN
    if (!sort.length && keys.length) sort = [{ key: keys[0], direction: 'desc' }]
  } else delete settings.top_n
  const dataset: DatasetSpec = { table: d.table, measures: measures as DatasetSpec['measures'], dimensions: dims, limit }
  if (columns.length) dataset.columns = columns
  if (sort.length) dataset.sort = sort as DatasetSpec['sort']
  const filter = toApi(d.filter)
  if (filter) dataset.filter = filter
  return { ...base, dataset }
}
