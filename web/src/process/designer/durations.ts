// ISO 8601 durations as the engine reads them (process/model.py parse_duration), shown as an
// amount and a unit.

export type Unit = 'minutes' | 'hours' | 'days' | 'weeks'
export const UNITS: Unit[] = ['minutes', 'hours', 'days', 'weeks']

export interface Amount {
  amount: number
  unit: Unit
}

const RE = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

/** The duration in the largest unit that states it exactly (minutes at least). */
export function parseDuration(text: string | null | undefined): Amount | null {
  const m = RE.exec((text ?? '').trim().toUpperCase())
  if (!m || text?.trim().toUpperCase() === 'P') return null
  const [w, d, h, min, s] = m.slice(1).map((x) => (x ? Number(x) : 0))
  const minutes = w * 7 * 24 * 60 + d * 24 * 60 + h * 60 + min + s / 60
  if (minutes <= 0) return { amount: 0, unit: 'hours' }
  if (minutes % (7 * 24 * 60) === 0) return { amount: minutes / (7 * 24 * 60), unit: 'weeks' }
  if (minutes % (24 * 60) === 0) return { amount: minutes / (24 * 60), unit: 'days' }
  if (minutes % 60 === 0) return { amount: minutes / 60, unit: 'hours' }
  return { amount: Math.round(minutes), unit: 'minutes' }
}

export function formatDuration(a: Amount): string {
  const n = Math.max(0, Math.round(a.amount))
  switch (a.unit) {
    case 'weeks':
      return `P${n}W`
    case 'days':
      return `P${n}D`
    case 'hours':
      return `PT${n}H`
    default:
      return `PT${n}M`
  }
}
