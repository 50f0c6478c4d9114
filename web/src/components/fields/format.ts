import type { Field } from '@/api/types'

export function choiceColor(field: Field, value: string): string {
  const c = (field.options?.choices ?? []).find((x: { value: string }) => x.value === value)
  return c?.color || '#8c8c8c'
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥', GBP: '£' }
/** The currencies money is shown in (a currency field's, a money formula's). */
export const CURRENCIES = Object.keys(SYMBOLS)

/** A number formula's display format (options.format: number, currency, percent), or null:
 *  shown as computed. */
export function formulaFormat(field: Field): string | null {
  return field.type === 'formula' && field.options?.result_type === 'number' ? (field.options?.format ?? null) : null
}

export function formatNumber(field: Field, value: unknown, locale: string): string {
  if (value === null || value === undefined || value === '') return ''
  const n = Number(value)
  if (Number.isNaN(n)) return String(value)
  const kind = formulaFormat(field) ?? field.type
  // A formula's number without decimals set keeps the places it has (up to 8).
  const decimals: number | null = field.options?.decimals ?? (field.type === 'rollup' || kind === 'currency' ? 2 : field.type === 'formula' ? null : 0)
  const fmt = new Intl.NumberFormat(locale, decimals === null ? { maximumFractionDigits: 8 } : { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
  if (kind === 'currency') return `${SYMBOLS[field.options?.currency ?? 'CNY'] ?? ''}${fmt.format(n)}`
  if (kind === 'percent') return `${fmt.format(n)}%`
  return fmt.format(n)
}

/** "2026-11-24T02:02:11+08:00" → "2026-11-24 02:02" (as the server's time zone shows it). */
export function formatDate(field: Field, value: unknown): string {
  if (!value) return ''
  const s = String(value)
  if (field.type === 'datetime') return s.slice(0, 16).replace('T', ' ')
  return s.slice(0, 10)
}

/** +8613745463445 → +86 137 4546 3445 (Chinese mobiles); other numbers as stored. */
export function formatPhone(value: unknown): string {
  const s = String(value ?? '')
  const m = /^\+86(1\d{2})(\d{4})(\d{4})$/.exec(s)
  return m ? `+86 ${m[1]} ${m[2]} ${m[3]}` : s
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** A short text of any value, for history entries and the card list. */
export function plain(value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? (v?.name ?? v?.id ?? '') : v)).join(', ') || '—'
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>
    return String(o.address ?? o.name ?? JSON.stringify(o))
  }
  if (value === true) return '✓'
  if (value === false) return '✗'
  return String(value)
}
