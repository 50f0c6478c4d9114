import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import enLocale from 'element-plus/es/locale/lang/en'
import { i18n, initialLang, rememberLang, type Lang } from '@/i18n'

export const useLocale = defineStore('locale', () => {
  const lang = ref<Lang>(initialLang())
  const elementLocale = computed(() => (lang.value === 'zh-CN' ? zhCn : enLocale))
  function apply(): void {
    i18n.global.locale.value = lang.value
    document.documentElement.lang = lang.value
  }
  function set(next: Lang): void {
    lang.value = next
    rememberLang(next)
    apply()
  }
  apply()
  return { lang, elementLocale, set }
})
