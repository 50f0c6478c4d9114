import { createI18n } from 'vue-i18n'
import zhCNBase from './zh-CN.json'
import enBase from './en.json'

/** Each area of the UI may keep its texts in ``parts/<area>.<lang>.json`` (one top-level key,
 * the area's name): merged over the base files here, so areas built side by side do not edit
 * the same file. tests/web/test_i18n_files.py checks both languages have the same keys. */
const parts = import.meta.glob<Record<string, unknown>>('./parts/*.json', { eager: true, import: 'default' })

function withParts(base: Record<string, unknown>, lang: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [path, part] of Object.entries(parts)) {
    if (path.endsWith(`.${lang}.json`)) Object.assign(out, part)
  }
  return out
}

const zhCN = withParts(zhCNBase, 'zh-CN') as typeof zhCNBase
const en = withParts(enBase, 'en') as typeof enBase

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
