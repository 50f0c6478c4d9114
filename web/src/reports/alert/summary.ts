// An alert in a line: what it measures ("投诉率 · 本周", "服务工单 · 记录数"), its threshold
// ("> 5%"), its schedule ("每 15 分钟"), as the list and the editor show them.
import cronstrue from 'cronstrue'
import 'cronstrue/locales/zh_CN'
import type { Table } from '@/api/types'
import type { KpiDef } from '@/reports/kpi/api'
import { kpiTitle } from '@/reports/kpi/names'
import { formatValue } from '@/reports/kpi/trend'
import type { AlertDraft, AlertSchedule } from './api'

type T = (key: string, params?: Record<string, unknown>) => string
type Te = (key: string) => boolean

export function periodText(d: AlertDraft, t: T): string {
  const p = d.period
  if (!p) return ''
  if (p.preset === 'last_n_days') return t('reports.alert.periods.last_days', { n: p.days ?? 7 })
  if (p.preset) return t(`reports.alert.periods.${p.preset}`)
  return `${p.start ?? ''} – ${p.end ?? ''}`
}

export function measureText(d: AlertDraft, kpis: KpiDef[], tables: Table[], t: T, te: Te): string {
  const period = periodText(d, t)
  const withPeriod = (s: string) => (period ? `${s} · ${period}` : s)
  if (d.kpi) {
    const k = kpis.find((x) => x.key === d.kpi?.key)
    return withPeriod(k ? kpiTitle(k, t, te) : d.kpi.key)
  }
  if (d.dataset) {
    const tb = tables.find((x) => x.key === d.dataset?.table)
    const m = d.dataset.measures?.[0] ?? { agg: 'count' }
    const field = m.field ? (tb?.fields.find((f) => f.key === m.field)?.name ?? m.field) : ''
    const agg = te(`reports.alert.aggs.${m.agg}`) ? t(`reports.alert.aggs.${m.agg}`) : m.agg
    return withPeriod(`${tb?.name ?? d.dataset.table} · ${field ? `${agg}(${field})` : agg}`)
  }
  return ''
}

/** The unit of the watched value: a KPI's (%, hours …); a table's measure has none. */
export function unitOf(d: AlertDraft, kpis: KpiDef[]): string {
  return d.kpi ? (kpis.find((x) => x.key === d.kpi?.key)?.unit ?? '') : ''
}

export function valueText(v: number | null | undefined, unit: string, t: T, locale: string): string {
  if (unit) return formatValue(v, unit, t, locale)
  if (v === null || v === undefined) return '—'
  return v.toLocaleString(locale, { maximumFractionDigits: 2 })
}

export function thresholdText(d: AlertDraft, kpis: KpiDef[], t: T, locale: string): string {
  return `${d.op} ${valueText(d.threshold, unitOf(d, kpis), t, locale)}`
}

export function scheduleText(s: AlertSchedule | undefined, t: T, locale: string): string {
  if (!s) return ''
  if (s.every) return t(`reports.alert.every_${s.unit ?? 'minutes'}`, { n: s.every })
  if (s.cron) {
    try {
      const words = cronstrue.toString(s.cron, { locale: locale === 'zh-CN' ? 'zh_CN' : 'en', use24HourTimeFormat: true, verbose: false })
      return t('reports.alert.on_schedule', { words })
    } catch {
      return s.cron
    }
  }
  return ''
}

export const STATE_TAG: Record<string, 'success' | 'danger' | 'info'> = { ok: 'success', firing: 'danger' }
