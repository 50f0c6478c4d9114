// How a delivery reads on the page: its status, times, channel, and the provider's answer.
import { useI18n } from 'vue-i18n'
import type { Delivery } from './api'

const TAGS: Record<string, 'success' | 'warning' | 'danger' | 'info' | 'primary'> = {
  sent: 'success',
  pending: 'info',
  retrying: 'warning',
  dead: 'danger',
  failed: 'danger',
}
export const statusType = (s: string) => TAGS[s] ?? 'info'

/** A provider's answer as text: the body it sent back, or the fields it gave as JSON. */
export function answerText(v: unknown): string {
  if (v == null || v === '') return ''
  if (typeof v === 'string') return v
  if (typeof v === 'object' && !Object.keys(v as object).length) return ''
  return JSON.stringify(v, null, 2)
}

export function useDeliveryTexts() {
  const { t, te, locale } = useI18n()
  const statusText = (s: string) => (te(`channels.status.${s}`) ? t(`channels.status.${s}`) : s)
  /** A time to the second (the drawer: attempts a few seconds apart) or to the minute (lists). */
  const when = (s: string | null | undefined, seconds = false) =>
    s ? new Date(s).toLocaleString(locale.value, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }) : '—'
  const kindName = (k: string) => (te(`channels.kinds.${k}`) ? t(`channels.kinds.${k}`) : k)
  /** The config's key, and the kind's name when the key alone does not say it. */
  const channelText = (d: Pick<Delivery, 'channel' | 'kind'>) => {
    const kind = d.kind || d.channel.split(':')[0]
    return d.channel === kind ? kindName(kind) : `${d.channel} · ${kindName(kind)}`
  }
  return { statusText, when, kindName, channelText }
}
