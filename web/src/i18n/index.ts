import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN.json'
import en from './en.json'

export type Lang = 'zh-CN' | 'en'
export const LANGS: Lang[] = ['zh-CN', 'en']
const STORAGE_KEY = 'cairn.lang'

/** The remembered language, else the browser's (Chinese → zh-CN, anything else → en). */
export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'zh-CN' || saved === 'en') return saved
  const nav = (navigator.languages?.[0] ?? navigator.language ?? 'zh-CN').toLowerCase()
  return nav.startsWith('zh') ? 'zh-CN' : 'en'
}

export function rememberLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang)
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLang(),
  fallbackLocale: 'en',
  messages: { 'zh-CN': zhCN, en },
})
