import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

// ECharts and its renderer: only the charts import them (the rule forecast's, issue 18's dashboards).
const ECHARTS = /node_modules\/(echarts|zrender)\//
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
          if (id.includes('node_modules')) return 'vendor'
          return undefined
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8101' } },
})
