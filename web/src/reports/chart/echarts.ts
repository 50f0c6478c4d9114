// ECharts' core with only what the widgets draw, on a canvas. Imported dynamically by
// EChart.vue, so ECharts lands in its own chunk (vite.config.ts manualChunks) and only the
// report pages download it. The China map is fetched on first use (public/maps/china.json).
import * as echarts from 'echarts/core'
import { BarChart, FunnelChart, GaugeChart, LineChart, MapChart, PieChart } from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart, LineChart, PieChart, FunnelChart, GaugeChart, MapChart,
  GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent,
  CanvasRenderer,
])

let china: Promise<void> | null = null

/** Registers the map ``china`` once (its regions keep their short names: see chinaOption). */
export function loadChina(): Promise<void> {
  china ??= fetch('/maps/china.json')
    .then((r) => {
      if (!r.ok) throw new Error(`/maps/china.json: HTTP ${r.status}`)
      return r.json()
    })
    .then((geo) => {
      echarts.registerMap('china', geo)
    })
    .catch((e) => {
      china = null // try again next time
      throw e
    })
  return china
}

export { echarts }
