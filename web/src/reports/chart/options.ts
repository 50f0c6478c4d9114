// The ECharts option of a widget: the server's data (series and axes, src/cairn/reports/
// widgets.py) with the widget's colours and thresholds and the project's look. Pure: the same
// data and settings give the same option (the browser tests read it back from the instance).
import { FULL_NAMES } from './provinces'
import { LEVEL_COLORS, colorsOf, levelOf, thresholdsOf, type Level } from './thresholds'

type Obj = Record<string, any>
export type Settings = Record<string, unknown>

/** Numbers as the reader's language writes them (at most two decimals). */
export function formatNumber(v: unknown, locale: string): string {
  if (v === null || v === undefined || v === '') return '–'
  if (typeof v !== 'number') return String(v)
  return new Intl.NumberFormat(locale, { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 }).format(v)
}

const CARTESIAN = new Set(['line', 'bar', 'stacked_bar'])
/** The widget types ECharts draws (the others are HTML). */
export const ECHARTS_TYPES = new Set([...CARTESIAN, 'pie', 'funnel', 'gauge', 'china_map'])

/** Nothing to draw: no series values at all. */
export function isEmpty(type: string, data: Obj | null | undefined): boolean {
  if (!data) return true
  if (type === 'number') return data.value === null || data.value === undefined
  if (type === 'table') return !data.rows?.length
  if (type === 'pivot') return !data.rows?.length
  const series: Obj[] = data.series ?? []
  if (type === 'gauge') return series[0]?.data?.[0]?.value === null || series[0]?.data?.[0]?.value === undefined
  return !series.some((s) => (s.data ?? []).some((d: unknown) => d !== null && d !== undefined && (typeof d !== 'object' || (d as Obj).value !== null)))
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? null))
}

function thresholdLines(levels: [Level, number | null][], horizontal: boolean): Obj {
  return {
    silent: true,
    symbol: 'none',
    label: { show: true, position: 'insideEndTop', fontSize: 11 },
    data: levels
      .filter(([, v]) => v !== null)
      .map(([level, v]) => ({ [horizontal ? 'xAxis' : 'yAxis']: v, lineStyle: { color: LEVEL_COLORS[level], type: 'dashed', width: 1.5 }, label: { color: LEVEL_COLORS[level] } })),
  }
}

function cartesian(type: string, d: Obj, settings: Settings, fmt: (v: unknown) => string, narrow: boolean): Obj {
  const series: Obj[] = d.series ?? []
  const horizontal = d.xAxis?.type === 'value'
  const th = thresholdsOf(settings)
  const single = series.length === 1
  const catAxis = horizontal ? d.yAxis : d.xAxis
  const nCats = (catAxis?.data ?? []).length
  for (const s of series) {
    delete s.key
    if (type === 'line') {
      s.symbolSize = 6
      s.lineStyle = { width: 2.5 }
    } else {
      s.barMaxWidth = 36
      s.itemStyle = { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] }
    }
  }
  if (th && series.length) {
    series[0].markLine = thresholdLines([['amber', th.amber], ['red', th.red]], horizontal)
    // One series of bars: each bar in the colour of its level (the legend has nothing to name).
    if (single && type === 'bar') {
      series[0].data = (series[0].data ?? []).map((v: unknown) => ({ value: v, itemStyle: { color: LEVEL_COLORS[levelOf(v, th) ?? 'green'] } }))
    }
  }
  if (single && type !== 'line' && nCats && nCats <= 12) {
    series[0].label = { show: true, position: horizontal ? 'right' : 'top', fontSize: 11, formatter: (p: Obj) => fmt(p.value) }
  }
  const legend = series.length > 1
  // Narrow and many: the labels slant rather than drop out.
  const slant = !horizontal && narrow && nCats > 4 ? { rotate: 35 } : {}
  const category = { ...catAxis, axisLabel: { hideOverlap: true, fontSize: 11, ...(horizontal ? { width: 96, overflow: 'truncate' } : { interval: 'auto', ...slant }) }, axisTick: { alignWithLabel: true } }
  const value = { type: 'value', axisLabel: { fontSize: 11, formatter: (v: number) => fmt(v) }, splitLine: { lineStyle: { color: '#eef0f2' } } }
  return {
    grid: { left: 8, right: horizontal ? 40 : 16, top: legend ? 36 : 20, bottom: 8, containLabel: true },
    legend: legend ? { ...d.legend, type: 'scroll', top: 0 } : { show: false },
    tooltip: { trigger: 'axis', axisPointer: { type: type === 'line' ? 'line' : 'shadow' }, valueFormatter: fmt },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series,
  }
}

function pie(d: Obj, settings: Settings, fmt: (v: unknown) => string, narrow: boolean): Obj {
  const s = d.series?.[0] ?? { type: 'pie', data: [] }
  const donut = !!settings.donut
  s.radius = donut ? ['40%', '66%'] : [0, '66%']
  s.center = ['50%', '46%']
  s.avoidLabelOverlap = true
  s.itemStyle = { borderColor: '#fff', borderWidth: 2, borderRadius: donut ? 4 : 0 }
  s.label = narrow ? { show: false } : { formatter: '{b}  {d}%', fontSize: 12 }
  s.labelLayout = { hideOverlap: true }
  return {
    tooltip: { trigger: 'item', valueFormatter: fmt },
    legend: { ...d.legend, type: 'scroll', bottom: 0 },
    series: [s],
  }
}

function funnel(d: Obj, fmt: (v: unknown) => string): Obj {
  const s = d.series?.[0] ?? { type: 'funnel', data: [] }
  s.left = '12%'
  s.right = '12%'
  s.top = 36
  s.bottom = 8
  s.gap = 2
  s.label = { show: true, position: 'inside', formatter: (p: Obj) => `${p.name}  ${fmt(p.value)}` }
  return { tooltip: { trigger: 'item', valueFormatter: fmt }, legend: { ...d.legend, type: 'scroll', top: 0 }, series: [s] }
}

function gauge(d: Obj, settings: Settings, fmt: (v: unknown) => string, colors: string[]): Obj {
  const s = d.series?.[0] ?? { type: 'gauge', data: [] }
  const min = Number(s.min ?? 0)
  const max = Number(s.max ?? 100)
  const th = thresholdsOf(settings)
  const at = (v: number | null) => (v === null || max === min ? null : Math.min(1, Math.max(0, (v - min) / (max - min))))
  let stops: [number, string][] = [[1, colors[0]]]
  if (th) {
    const a = at(th.amber)
    const r = at(th.red)
    stops = th.direction === 'above'
      ? [...(a !== null ? [[a, LEVEL_COLORS.green]] : []), ...(r !== null ? [[r, LEVEL_COLORS[a !== null ? 'amber' : 'green']]] : []), [1, LEVEL_COLORS[r !== null ? 'red' : 'amber']]] as [number, string][]
      : [...(r !== null ? [[r, LEVEL_COLORS.red]] : []), ...(a !== null ? [[a, LEVEL_COLORS.amber]] : []), [1, LEVEL_COLORS.green]] as [number, string][]
  }
  Object.assign(s, {
    radius: '92%',
    center: ['50%', '58%'],
    startAngle: 210,
    endAngle: -30,
    axisLine: { lineStyle: { width: 14, color: stops } },
    pointer: { width: 5, itemStyle: { color: '#5b6b7c' } },
    axisTick: { distance: -14, length: 4, lineStyle: { color: '#fff' } },
    splitLine: { distance: -14, length: 14, lineStyle: { color: '#fff', width: 2 } },
    axisLabel: { distance: 18, fontSize: 10, color: '#8a919c', formatter: (v: number) => fmt(v) },
    title: { show: false },
    detail: { valueAnimation: true, fontSize: 26, fontWeight: 600, offsetCenter: [0, '40%'], formatter: (v: number) => fmt(v), color: th ? LEVEL_COLORS[levelOf(s.data?.[0]?.value, th) ?? 'green'] : '#1f2329' },
  })
  return { tooltip: { show: false }, series: [s] }
}

function chinaMap(d: Obj, settings: Settings, fmt: (v: unknown) => string, colors: string[]): Obj {
  const s = d.series?.[0] ?? { type: 'map', map: 'china', data: [] }
  // The map's regions are named 广东; the server says 广东省 (unless settings.names is short).
  if ((s.map ?? 'china') === 'china' && settings.names !== 'short') s.nameMap = FULL_NAMES
  Object.assign(s, {
    roam: false,
    layoutCenter: ['50%', '55%'],
    layoutSize: '115%',
    label: { show: false },
    itemStyle: { areaColor: '#f2f4f5', borderColor: '#c9ced4' },
    emphasis: { label: { show: true, fontSize: 11 }, itemStyle: { areaColor: '#ffd666' } },
    select: { disabled: true },
  })
  const vm = d.visualMap ?? {}
  const explicit = Array.isArray(settings.colors) && settings.colors.length >= 2
  return {
    tooltip: { trigger: 'item', valueFormatter: fmt },
    visualMap: {
      ...vm,
      // From 0 (a province with any value is coloured), to at least 1 (all zero: one colour).
      min: Math.min(0, Number(vm.min ?? 0)),
      max: Math.max(Number(vm.max ?? 0), 1),
      left: 8,
      bottom: 8,
      itemHeight: 90,
      itemWidth: 12,
      textStyle: { fontSize: 11 },
      formatter: (v: number) => fmt(v),
      inRange: { color: explicit ? colors : ['#e3efec', colors[0]] },
    },
    series: [s],
  }
}

/** The whole option for an ECharts widget type. ``narrow``: a phone-width container. */
export function buildOption(type: string, data: Obj, settings: Settings, locale: string, narrow = false): Obj {
  const d = clone(data) as Obj
  const colors = colorsOf(settings)
  const fmt = (v: unknown) => formatNumber(v, locale)
  let body: Obj
  if (CARTESIAN.has(type)) body = cartesian(type, d, settings, fmt, narrow)
  else if (type === 'pie') body = pie(d, settings, fmt, narrow)
  else if (type === 'funnel') body = funnel(d, fmt)
  else if (type === 'gauge') body = gauge(d, settings, fmt, colors)
  else if (type === 'china_map') body = chinaMap(d, settings, fmt, colors)
  else body = { series: d.series ?? [] }
  return {
    color: colors,
    textStyle: { fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--el-font-family').trim() || 'sans-serif' },
    animationDuration: 400,
    ...body,
  }
}
