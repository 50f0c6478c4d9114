import { createI18n } from 'vue-i18n'
import zhCNBase from './zh-CN.json'
import enBase from './en.json'

export type Lang = 'zh-CN' | 'en'
export const LANGS: Lang[] = ['zh-CN', 'en']
const STORAGE_KEY = 'cairn.lang'

/** The remembered language, else the browser's (Chinese → zh-CN, anything else → en). */
export function initialLang(): Lang {
  const saved = stored()
  if (saved === 'zh-CN' || saved === 'en') return saved
  const nav = (navigator.languages?.[0] ?? navigator.language ?? 'zh-CN').toLowerCase()
  return nav.startsWith('zh') ? 'zh-CN' : 'en'
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang)
  } catch {
    // No storage (a sandboxed iframe, a public form embedded elsewhere): not remembered.
  }
}

function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLang(),
  fallbackLocale: 'en',
  messages: { 'zh-CN': zhCNBase, en: enBase },
})

/** The texts of one area of the UI (``parts/<area>.<lang>.json``, one top-level key named like
 * the area) load with the pages that use them (a route's ``meta.texts``), so every other page
 * does not download them; tests/web/test_i18n_files.py checks both languages have the same keys. */
const parts = import.meta.glob<Record<string, unknown>>('./parts/*.json', { import: 'default' })
const loaded = new Set<string>()
const wanted = new Set<string>()

export async function loadTexts(areas: readonly string[], lang: Lang = i18n.global.locale.value as Lang): Promise<void> {
  areas.forEach((a) => wanted.add(a))
  // The fallback language too: a key missing in one language shows the English text.
  const langs = lang === 'en' ? ['en'] : [lang, 'en']
  await Promise.all(
    areas.flatMap((area) =>
      langs.map(async (l) => {
        const id = `${area}.${l}`
        const load = parts[`./parts/${id}.json`]
        if (loaded.has(id) || !load) return
        i18n.global.mergeLocaleMessage(l, (await load()) as typeof enBase)
        loaded.add(id)
      }),
    ),
  )
}

/** Before switching language: the areas loaded so far, in the new language. */
export function loadTextsFor(lang: Lang): Promise<void> {
  return loadTexts([...wanted], lang)
}
