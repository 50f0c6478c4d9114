// A KPI card's figures: its value as people read it (36.4%, 4.2 h, ¥12,300), the change from
// the period before, and the twelve months of its trend (the KPI split by its date field's
// month, the months without records shown as gaps).
import type { KpiResult, PeriodSpec } from './api'

type T = (key: string, params?: Record<string, unknown>) => string

export function formatValue(v: number | null | undefined, unit: string, t: T, locale: string): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—'
  const n = (digits: number) => v.toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 })
  switch (unit) {
    case '%':
      return `${n(1)}%`
    case 'currency':
      return `¥${n(0)}`
    case 'hour':
    case 'minute':
    case 'day':
    case 'second':
      return `${n(1)} ${t(`reports.kpi.units_short.${unit}`)}`
    default:
      return n(1)
  }
}

/** The change as a signed figure in the KPI's unit (a rate's change in percentage points). */
export function formatChange(change: number | null | undefined, unit: string, t: T, locale: string): string {
  if (change === null || change === undefined) return ''
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±'
  const abs = Math.abs(change)
  if (unit === '%') return `${sign}${abs.toLocaleString(locale, { maximumFractionDigits: 1 })} ${t('reports.kpi.points')}`
  return `${sign}${formatValue(abs, unit, t, locale)}`
}

export type Direction = 'better' | 'worse' | 'flat'

export function direction(change: number | null | undefined, lowerIsBetter: boolean): Direction {
  if (!change) return 'flat'
  return change > 0 !== lowerIsBetter ? 'better' : 'worse'
}

const pad = (n: number) => String(n).padStart(2, '0')
const month = (y: number, m: number) => `${y}-${pad(m)}`

/** The twelve months ending with the month of ``period`` (the server's period: its clock). */
export function lastMonths(period: { start: string; end: string } | undefined, n = 12): string[] {
  // The period's end is exclusive: its last day decides the month.
  const last = period ? new Date(`${period.end}T00:00:00Z`) : new Date()
  if (period) last.setUTCDate(last.getUTCDate() - 1)
  const out: string[] = []
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - i, 1))
    out.push(month(d.getUTCFullYear(), d.getUTCMonth() + 1))
  }
  return out
}

/** The period of those months (both ends included), as the KPI takes it. */
export function monthsPeriod(months: string[]): PeriodSpec {
  const [y, m] = months[months.length - 1].split('-').map(Number)
  const end = new Date(Date.UTC(y, m, 0)) // the last day of the last month
  return { start: `${months[0]}-01`, end: `${end.getUTCFullYear()}-${pad(end.getUTCMonth() + 1)}-${pad(end.getUTCDate())}` }
}

/** The split result's value per month (``2026-03``), in the order of ``months``. */
export function monthlyValues(result: KpiResult, months: string[]): (number | null)[] {
  const by = new Map<string, number | null>()
  for (const g of result.groups ?? []) by.set(String(g.key ?? g.label ?? '').slice(0, 7), g.value)
  return months.map((m) => (by.has(m) ? by.get(m)! : null))
}

/** The trend as a line chart's data (the shape of reports/widgets.py's line widget, which
 * WidgetChart draws). */
export function trendChart(name: string, months: string[], values: (number | null)[]): Record<string, unknown> {
  return {
    xAxis: { type: 'category', data: months.map((m) => m.slice(2).replace('-', '/')) },
    yAxis: { type: 'value' },
    legend: { data: [name] },
    tooltip: { trigger: 'axis' },
    series: [{ type: 'line', name, data: values.map((v) => (v === null ? null : Math.round(v * 100) / 100)), areaStyle: { opacity: 0.08 } }],
  }
}
