import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { configureApi } from './api/client'
import { useLocale } from './stores/locale'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router).use(ElementPlus)

const locale = useLocale(pinia)
configureApi({
  language: () => locale.lang,
  // Session over or never started: sign in, then come back here.
  onUnauthorized: () => {
    const here = router.currentRoute.value
    if (here.name !== 'sign-in') router.push({ name: 'sign-in', query: { next: here.fullPath } })
  },
})
app.mount('#app')
