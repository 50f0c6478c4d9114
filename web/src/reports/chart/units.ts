// A value with its unit as the reader's language writes it (KPI units: %, hour, score,
// currency; a dataset number card may name its own unit in settings.unit).
import { formatNumber } from './options'

export type Translate = (key: string, params?: Record<string, unknown>) => string

export function withUnit(v: unknown, unit: string | null | undefined, locale: string, t: Translate): string {
  const n = formatNumber(v, locale)
  if (v === null || v === undefined || !unit || unit === 'score') return n
  if (unit === '%') return `${n}%`
  if (unit === 'currency') return `¥${n}`
  if (unit === 'hour') return t('reports.chart.unit_hours', { n })
  return `${n} ${unit}`
}

/** The change from the previous period: signed, in percentage points for a rate. */
export function changeText(change: number, unit: string | null | undefined, locale: string, t: Translate): string {
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±'
  const abs = Math.abs(change)
  if (unit === '%') return t('reports.chart.points', { n: `${sign}${formatNumber(abs, locale)}` })
  return `${sign}${withUnit(abs, unit, locale, t)}`
}
