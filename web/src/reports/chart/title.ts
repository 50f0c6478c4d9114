// A widget's title in the reader's language: settings.title_zh / title_en, else its title.
export function widgetTitle(title: string | null | undefined, settings: Record<string, unknown> | null | undefined, locale: string): string {
  const own = locale.startsWith('zh') ? settings?.title_zh : settings?.title_en
  return (typeof own === 'string' && own.trim()) || title || ''
}
