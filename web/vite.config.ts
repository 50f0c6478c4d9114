import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

const BPMN =
  /node_modules\/(bpmn-js|bpmn-moddle|moddle|moddle-xml|saxen|diagram-js|diagram-js-direct-editing|@bpmn-io|htm|preact|clsx|didi|inherits-browser|min-dom|min-dash|domify|object-refs|path-intersection|tiny-svg|ids)\//

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
          // bpmn-js and what it pulls in load only with the process designer (its own chunk).
          if (BPMN.test(id)) return 'bpmn'
          if (id.includes('node_modules/element-plus') || id.includes('@element-plus')) return 'element-plus'
          if (id.includes('node_modules')) return 'vendor'
          return undefined
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8101' } },
})
