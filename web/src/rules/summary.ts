// A rule in a few words for the list and the run log: what fires it and what it does.
import type { Table } from '@/api/types'

type T = (key: string, args?: Record<string, unknown>) => string

const fieldName = (table: Table | undefined, key: string | null | undefined) =>
  key ? (table?.fields.find((f) => f.key === key)?.name ?? key) : ''

/** "字段 状态 变为 已解决", "到期日 前 30 天 09:00", "每天 … (cron)", … */
export function triggerSummary(t: T, trigger: Record<string, any> | null | undefined, table?: Table): string {
  const tr = trigger ?? {}
  const type = String(tr.type ?? '')
  switch (type) {
    case 'record.created':
      return t('rules.trigger.created')
    case 'record.deleted':
      return t('rules.trigger.deleted')
    case 'record.merged':
      return t('rules.trigger.merged')
    case 'record.unmerged':
      return t('rules.trigger.unmerged')
    case 'record.updated': {
      const fields: string[] = Array.isArray(tr.fields) ? tr.fields : []
      if (!fields.length) return t('rules.trigger.updated')
      const names = fields.map((k) => fieldName(table, k)).join('、')
      if (tr.to !== undefined && tr.to !== null) return t('rules.trigger.updated_to', { fields: names, to: String(tr.to) })
      return t('rules.trigger.updated_fields', { fields: names })
    }
    case 'date': {
      const n = Math.abs(Number(tr.offset ?? 0))
      const unit = t(`rules.unit.${tr.unit ?? 'days'}`)
      const field = fieldName(table, tr.field)
      const when = n === 0 ? t('rules.trigger.date_on', { field }) : t(Number(tr.offset) < 0 ? 'rules.trigger.date_before' : 'rules.trigger.date_after', { field, n, unit })
      return [tr.yearly ? t('rules.trigger.yearly') : '', when, tr.at ?? ''].filter(Boolean).join(' ')
    }
    case 'schedule':
      return t('rules.trigger.schedule', { cron: String(tr.cron ?? '') })
    case 'inactivity': {
      const sources: { relation?: string; interactions?: string[] }[] = Array.isArray(tr.sources) ? tr.sources : tr.relation ? [{ relation: tr.relation }] : []
      const names = sources.map((s) => (s.interactions ? t('rules.builder.interactions_source') : fieldName(table, s.relation ?? ''))).join('、')
      return t('rules.trigger.inactivity', { sources: names, n: tr.days ?? '?' })
    }
    case 'webhook':
      return t('rules.trigger.webhook')
    case 'process.task_overdue':
      return t('rules.trigger.task_overdue')
    case 'process.completed':
      return t('rules.trigger.process_completed')
    case 'segment.entered':
      return t('rules.trigger.segment_entered', { segment: String(tr.segment ?? '?') })
    case 'segment.exited':
      return t('rules.trigger.segment_exited', { segment: String(tr.segment ?? '?') })
    case 'score.band_entered':
      return t('rules.trigger.score_band_entered', { band: t(`rules.builder.band_${tr.band ?? 'red'}`) })
    case 'score.dropped':
      return t('rules.trigger.score_dropped', { n: tr.points ?? '?', days: tr.days ?? '?' })
    default:
      return type || '—'
  }
}

/** The action types in order: "通知 → 等待 → 更新记录". */
export function actionsSummary(t: T, actions: Record<string, any>[] | null | undefined): string {
  return (actions ?? []).map((a) => actionLabel(t, String(a.type ?? ''))).join(' → ') || '—'
}

export function actionLabel(t: T, type: string): string {
  return ['update_record', 'create_record', 'notify', 'webhook', 'wait', 'start_process', 'add_tag', 'remove_tag'].includes(type) ? t(`rules.action.${type}`) : type
}

/** Does the trigger fire on a clock (so the rule has a forecast)? */
export const scanned = (trigger: Record<string, any> | null | undefined) => ['date', 'schedule', 'inactivity'].includes(String(trigger?.type ?? ''))

/** The default on_error of an action type (the contract: continue for notify and webhook). */
export const defaultOnError = (type: string): 'stop' | 'continue' => (type === 'notify' || type === 'webhook' ? 'continue' : 'stop')
