import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

// ECharts and its renderer: only the charts import them (the rule forecast's, issue 18's dashboards).
const ECHARTS = /node_modules\/(echarts|zrender)\//
// Only the dashboards use these (grid-layout-plus and what it pulls in; html2canvas and jsPDF
// for a PNG/PDF export, loaded on the click): left to Rollup's own chunking, never in 'vendor',
// which every page loads.
const DASHBOARDS_ONLY = /node_modules\/(grid-layout-plus|interactjs|@interactjs|@vexip-ui|@juggle|html2canvas|css-line-break|utrie|base64-arraybuffer|text-segmentation|jspdf|fflate|fast-png|iobuffer|pako|canvg|core-js|dompurify|raf|performance-now|regenerator-runtime|rgbcolor|stackblur-canvas|svg-pathdata|@babel\/runtime)\//
const BPMN = /node_modules\/(bpmn-js|bpmn-auto-layout|bpmn-moddle|diagram-js|diagram-js-direct-editing|@bpmn-io|moddle|moddle-xml|saxen|min-dash|min-dom|tiny-svg|didi|domify|ids|object-refs|path-intersection|inherits-browser|htm|preact|clsx)\//

// The build goes into the Python package (src/cairn/webui), which `cairn serve` serves at "/".
export default defineConfig({
  plugins: [vue()],
  base: '/',
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: '../src/cairn/webui',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/element-plus') || id.includes('@element-plus')) return 'element-plus'
          // bpmn-js and what it pulls in: only the pages with a diagram import it (their own chunk).
          if (BPMN.test(id)) return 'bpmn'
          if (ECHARTS.test(id)) return 'echarts'
          if (DASHBOARDS_ONLY.test(id)) return undefined
          if (id.includes('node_modules')) return 'vendor'
          return undefined
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8101' } },
})
