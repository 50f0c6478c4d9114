// TV mode's look for the ECharts charts: light text and lines on the dark page, and type large
// enough to read across a service hall. Merged into whatever option the chart was given (each
// time it is given a new one), so the charts themselves need no TV variant.
import type { ECharts } from 'echarts/core'

export const TV_TEXT = '#e8eef7'
const TV_MUTED = '#9fb0c8'
const TV_LINE = '#3a4a66'
const TV_GRID = '#1f2c44'
export const TV_CARD = '#111a2e'
const FONT = 18

type Obj = Record<string, any>
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v : v ? [v as Obj] : [])

function axis(a: Obj): Obj {
  return {
    axisLabel: { color: TV_MUTED, fontSize: FONT },
    axisLine: { lineStyle: { color: TV_LINE } },
    splitLine: { lineStyle: { color: TV_GRID } },
    nameTextStyle: { color: TV_MUTED, fontSize: FONT },
    ...(a.type === 'category' ? { axisTick: { lineStyle: { color: TV_LINE } } } : {}),
  }
}

function series(s: Obj): Obj {
  const label = { color: TV_TEXT, fontSize: FONT }
  switch (s.type) {
    case 'pie':
      return { itemStyle: { borderColor: TV_CARD }, label, labelLine: { lineStyle: { color: TV_LINE } } }
    case 'funnel':
      return { label: { fontSize: FONT }, itemStyle: { borderColor: TV_CARD } }
    case 'gauge':
      return { axisLabel: { color: TV_MUTED, fontSize: 14 }, detail: { fontSize: 44 }, pointer: { itemStyle: { color: TV_MUTED } } }
    case 'map':
      return { itemStyle: { areaColor: '#1b2740', borderColor: TV_LINE }, label: { color: TV_TEXT } }
    default:
      return { label }
  }
}

/** The patch for an option as ``chart.getOption()`` returns it. */
export function tvPatch(o: Obj): Obj {
  return {
    backgroundColor: 'transparent',
    textStyle: { color: TV_TEXT },
    legend: list(o.legend).map(() => ({ textStyle: { color: TV_TEXT, fontSize: FONT }, pageTextStyle: { color: TV_MUTED }, itemWidth: 22, itemHeight: 14 })),
    xAxis: list(o.xAxis).map(axis),
    yAxis: list(o.yAxis).map(axis),
    visualMap: list(o.visualMap).map(() => ({ textStyle: { color: TV_TEXT, fontSize: 14 } })),
    tooltip: list(o.tooltip).map(() => ({ textStyle: { fontSize: 16 } })),
    series: list(o.series).map(series),
  }
}

/** Whether the chart's current option has the TV look already. */
function patched(chart: ECharts): boolean {
  const ts = (chart.getOption() as Obj).textStyle
  return (Array.isArray(ts) ? ts[0] : ts)?.color === TV_TEXT
}

/** Keep the TV look on a chart: after every render, patch an option that lacks it. */
export function keepTvLook(chart: ECharts): void {
  const apply = () => {
    if (chart.isDisposed() || patched(chart)) return
    chart.setOption(tvPatch(chart.getOption() as Obj))
  }
  chart.on('rendered', apply)
  apply()
}
