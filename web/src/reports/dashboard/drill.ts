// Drilling down a widget. A widget whose dataset has several dimensions read as a hierarchy
// (group → store → advisor) shows one level at a time: a click on a point of a level that is not
// the last opens the next level for that point (a breadcrumb leads back); a click on the last
// level, or "view records", opens the grid with the records behind the points. The filter of a
// path (the points chosen so far) comes from the drill endpoint, which knows how a raw key
// (a date bucket, a relation's id, an empty value) becomes a filter.
import type { FilterNode } from '@/api/types'
import type { DimensionSpec, WidgetSpec } from './api'

/** Chart types whose second dimension is drawn (stacks, series, pivot columns, table columns):
 * those are not a hierarchy unless the widget says so (``settings.hierarchy``). */
const DRAWS_TWO = new Set(['stacked_bar', 'line', 'bar', 'table', 'pivot'])

export function dimsOf(w: WidgetSpec): DimensionSpec[] {
  return w.dataset?.dimensions ?? []
}

/** Whether the widget drills level by level: several dimensions, and a chart that draws one of
 * them at a time (or ``settings.hierarchy`` true; false turns it off). A bar or line chart with
 * more dimensions than it can draw (three or more) is a hierarchy too. */
export function isHierarchy(w: WidgetSpec): boolean {
  const n = dimsOf(w).length
  if (n < 2 || !w.dataset) return false
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

/** The widget cut to its first ``n`` dimensions (the path's filter is asked with it). */
export function pathWidget(w: WidgetSpec, n: number): WidgetSpec {
  const ds = w.dataset!
  const kept = ds.dimensions!.slice(0, n)
  return { ...w, type: 'table', dataset: { ...ds, dimensions: kept, columns: [], sort: sortsFor(ds.sort, kept, ds) } }
}

/** The widget showing level ``n`` (its dimension only) under the path's filter. */
export function levelWidget(w: WidgetSpec, n: number, pathFilter: FilterNode | null): WidgetSpec {
  const ds = w.dataset!
  const dim = ds.dimensions![n]
  return {
    ...w,
    dataset: { ...ds, dimensions: [dim], columns: [], filter: and(ds.filter as FilterNode | null, pathFilter), sort: sortsFor(ds.sort, [dim], ds) },
  }
}

/** The sort entries that still name a kept dimension or a measure. */
function sortsFor(sort: NonNullable<WidgetSpec['dataset']>['sort'], kept: DimensionSpec[], ds: NonNullable<WidgetSpec['dataset']>) {
  if (!sort?.length) return sort
  const dims = new Set(ds.dimensions?.map(dimKey) ?? [])
  const keep = new Set(kept.map(dimKey))
  return sort.filter((s) => !dims.has(s.key) || keep.has(s.key))
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The label of the point with raw key ``key`` in a widget's data (the breadcrumb shows it). */
export function labelOf(data: any, key: unknown): string {
  if (!data) return String(key ?? '')
  const xKeys: unknown[] | undefined = data.x_keys ?? data.xAxis?.keys ?? data.yAxis?.keys
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
  for (const row of data.rows ?? []) {
    if (row && typeof row === 'object' && !Array.isArray(row) && Array.isArray(row.keys) && same(row.keys[0], key)) return String(row.values?.[0] ?? key)
  }
  return key === null || key === undefined ? '—' : String(key)
}

/** Every point of a one-dimension widget's data, as drill points (``[[key], …]``). */
export function allPoints(data: any): unknown[][] {
  if (!data) return []
  if (Array.isArray(data.x_keys)) return data.x_keys.map((k: unknown) => [k])
  const out: unknown[][] = []
  for (const s of data.series ?? []) {
    for (const item of s.data ?? []) {
      if (item && typeof item === 'object' && Array.isArray(item.keys)) out.push(item.keys)
      else if (item && typeof item === 'object' && Array.isArray(item.points)) out.push(...item.points)
    }
  }
  return out
}

export interface Crumb {
  key: unknown
  label: string
}
