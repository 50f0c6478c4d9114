// Which records a click on a widget means: the raw dimension keys the server puts beside each
// point (src/cairn/reports/widgets.py; issue 18 contract "drill keys"), as the list of points
// the drill endpoints take (``[[key, ...], ...]``, one point per group clicked).
type Obj = Record<string, any>
export type Points = unknown[][]

/** A click on an ECharts series (params of the 'click' event); null: nothing to drill to. */
export function chartPoints(type: string, data: Obj | null | undefined, params: Obj): Points | null {
  if (!data || params.componentType !== 'series') return null
  const i: number = params.dataIndex
  if (type === 'line' || type === 'bar' || type === 'stacked_bar') {
    const xs: unknown[] | undefined = data.x_keys
    if (!Array.isArray(xs) || i < 0 || i >= xs.length) return null
    const s: Obj | undefined = data.series?.[params.seriesIndex]
    return s && 'key' in s ? [[xs[i], s.key]] : [[xs[i]]]
  }
  if (type === 'pie' || type === 'funnel') {
    const keys = data.series?.[0]?.data?.[i]?.keys
    return Array.isArray(keys) ? [keys] : null
  }
  if (type === 'gauge') return [Array.isArray(data.keys) ? data.keys : []]
  if (type === 'china_map') {
    const points = params.data?.points
    return Array.isArray(points) && points.length ? points : null
  }
  return null
}

/** A table row's keys (``data.keys`` per row, or ``keys`` on a row object). */
export function rowPoints(data: Obj | null | undefined, i: number): Points | null {
  const row = data?.rows?.[i]
  const keys = data?.keys?.[i] ?? data?.row_keys?.[i] ?? (row && !Array.isArray(row) ? row.keys : undefined)
  return Array.isArray(keys) ? [keys] : null
}

/** A pivot cell: its row's keys, then its column's. */
export function cellPoints(data: Obj | null | undefined, r: number, c: number): Points | null {
  const rk = data?.rows?.[r]?.keys
  const ck = data?.columns?.[c]?.keys
  return Array.isArray(rk) && Array.isArray(ck) ? [[...rk, ...ck]] : null
}

/** The measure a click on a chart of several measures names (the series' ``measure``). */
export function chartMeasure(data: Obj | null | undefined, params: Obj): string | undefined {
  const m = data?.series?.[params.seriesIndex]?.measure
  return typeof m === 'string' && (data?.series?.length ?? 0) > 1 ? m : undefined
}
