import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import enLocale from 'element-plus/es/locale/lang/en'
import { i18n, initialLang, loadTextsFor, rememberLang, type Lang } from '@/i18n'

export const useLocale = defineStore('locale', () => {
  const lang = ref<Lang>(initialLang())
  const elementLocale = computed(() => (lang.value === 'zh-CN' ? zhCn : enLocale))
  function apply(): void {
    i18n.global.locale.value = lang.value
    document.documentElement.lang = lang.value
  }
  async function set(next: Lang): Promise<void> {
    await loadTextsFor(next) // the texts of the pages seen so far, in the new language
    lang.value = next
    rememberLang(next)
    apply()
  }
  apply()
  return { lang, elementLocale, set }
})
