// Drilling down a widget. A widget whose dataset has several dimensions read as a hierarchy
// (group → store → advisor) shows one level at a time: a click on a point of a level that is not
// the last opens the next level for that point (a breadcrumb leads back); a click on the last
// level, or "view records", opens the grid with the records behind the points. The filter of a
// path (the points chosen so far) comes from the drill endpoint, which knows how a raw key
// (a date bucket, a relation's id, an empty value) becomes a filter.
import type { FilterNode } from '@/api/types'
import type { DimensionSpec, WidgetSpec } from './api'

/** Chart types whose second dimension is drawn (stacks, series, table columns, pivot columns):
 * several dimensions there are not a hierarchy unless the widget says so (``settings.hierarchy``). */
const DRAWS_TWO = new Set(['stacked_bar', 'line', 'bar', 'table', 'pivot'])

function validDim(d: unknown): d is DimensionSpec {
  return !!d && typeof d === 'object' && typeof (d as DimensionSpec).field === 'string' && !!(d as DimensionSpec).field
}

/** The levels below a one-dimension widget's own (``settings.drill_levels``). */
export function drillLevelsOf(w: WidgetSpec): DimensionSpec[] {
  const extra = w.settings?.drill_levels
  return Array.isArray(extra) ? extra.filter(validDim) : []
}

/** The dimensions a click goes down through: the widget's own, then its drill levels (for a
 * widget drawing one dimension). */
export function levelsOf(w: WidgetSpec): DimensionSpec[] {
  const dims = w.dataset?.dimensions ?? []
  const extra = drillLevelsOf(w)
  return dims.length === 1 && extra.length ? [...dims, ...extra] : dims
}

/** Whether the widget drills level by level: drill levels under its dimension; or several
 * dimensions and a chart that draws one of them at a time (a pie, a funnel, a map; a bar or
 * line with more than it can draw; ``settings.hierarchy`` true, false turns it off). */
export function isHierarchy(w: WidgetSpec): boolean {
  if (!w.dataset) return false
  const n = levelsOf(w).length
  if (n < 2) return false
  if (drillLevelsOf(w).length && (w.dataset.dimensions ?? []).length === 1) return true
  const setting = w.settings?.hierarchy
  if (setting === true || setting === false) return setting
  if (!DRAWS_TWO.has(w.type)) return true
  return n > 2 && (w.type === 'bar' || w.type === 'line')
}

/** The key a sort entry or the server uses for a dimension. */
function dimKey(d: DimensionSpec): string {
  return d.key ?? d.field
}

function and(a: FilterNode | null | undefined, b: FilterNode | null | undefined): FilterNode | null {
  if (!a) return b ?? null
  if (!b) return a
  return { and: [a, b] }
}

/** The widget cut to its first ``n`` levels (the path's filter is asked with it). */
export function pathWidget(w: WidgetSpec, n: number): WidgetSpec {
  const ds = w.dataset!
  const all = levelsOf(w)
  const kept = all.slice(0, n)
  return { ...w, dataset: { ...ds, dimensions: kept, columns: [], sort: sortsFor(ds.sort, kept, all) } }
}

/** The widget showing level ``n`` (its dimension only) under the path's filter. */
export function levelWidget(w: WidgetSpec, n: number, pathFilter: FilterNode | null): WidgetSpec {
  const ds = w.dataset!
  const all = levelsOf(w)
  const dim = all[n]
  return {
    ...w,
    dataset: { ...ds, dimensions: [dim], columns: [], filter: and(ds.filter as FilterNode | null, pathFilter), sort: sortsFor(ds.sort, [dim], all) },
  }
}

/** The sort entries that still name a kept dimension or a measure. */
function sortsFor(sort: NonNullable<WidgetSpec['dataset']>['sort'], kept: DimensionSpec[], all: DimensionSpec[]) {
  if (!sort?.length) return sort
  const dims = new Set(all.map(dimKey))
  const keep = new Set(kept.map(dimKey))
  return sort.filter((s) => !dims.has(s.key) || keep.has(s.key))
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The label of the point with raw key ``key`` in a widget's data (the breadcrumb shows it). */
export function labelOf(data: any, key: unknown): string {
  if (!data) return String(key ?? '')
  const xKeys: unknown[] | undefined = data.x_keys
  if (Array.isArray(xKeys)) {
    const i = xKeys.findIndex((k) => same(k, key))
    const cats = data.xAxis?.type === 'category' ? data.xAxis?.data : data.yAxis?.data
    if (i >= 0 && Array.isArray(cats)) return String(cats[i])
  }
  for (const s of data.series ?? []) {
    for (const item of s.data ?? []) {
      if (item && typeof item === 'object') {
        const keys = item.keys ?? item.points?.[0]
        if (Array.isArray(keys) && same(keys[keys.length - 1], key)) return String(item.name)
      }
    }
  }
  const rowKeys: unknown[][] | undefined = data.row_keys
  if (Array.isArray(rowKeys)) {
    const i = rowKeys.findIndex((k) => Array.isArray(k) && same(k[k.length - 1], key))
    if (i >= 0 && Array.isArray(data.rows?.[i])) return String(data.rows[i][0] ?? key)
  }
  return key === null || key === undefined ? '—' : String(key)
}

export interface Crumb {
  key: unknown
  label: string
}
