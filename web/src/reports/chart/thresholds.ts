// Threshold colours (settings.thresholds: amber and red lines, crossed going above or below)
// and the default series colours. The editor writes these settings; the chart reads them.

export interface Thresholds {
  amber?: number | null
  red?: number | null
  direction?: 'above' | 'below'
}

export type Level = 'green' | 'amber' | 'red'

export const LEVEL_COLORS: Record<Level, string> = { green: '#1a8f4e', amber: '#d48806', red: '#d4380d' }

/** The palette when the widget names no colours (the theme's green first). */
export const PALETTE = ['#1f6f5c', '#3b7dd8', '#e0a030', '#d9534f', '#7c5cc4', '#2aa7a0', '#c45c9c', '#8a9a3b', '#5b6b7c', '#e07a3a']

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The thresholds of ``settings`` when at least one line is set. */
export function thresholdsOf(settings: Record<string, unknown> | undefined): Required<Thresholds> | null {
  const t = settings?.thresholds as Thresholds | undefined
  if (!t || typeof t !== 'object') return null
  const amber = num(t.amber)
  const red = num(t.red)
  if (amber === null && red === null) return null
  return { amber, red, direction: t.direction === 'below' ? 'below' : 'above' }
}

/** Green, amber or red for ``value``; null without thresholds or a value. */
export function levelOf(value: unknown, t: Required<Thresholds> | null): Level | null {
  const v = num(value)
  if (!t || v === null) return null
  const crossed = (line: number | null) => line !== null && (t.direction === 'above' ? v >= line : v <= line)
  if (crossed(t.red)) return 'red'
  if (crossed(t.amber)) return 'amber'
  return 'green'
}

/** The widget's colours (valid CSS colours only), else the palette. */
export function colorsOf(settings: Record<string, unknown> | undefined): string[] {
  const c = settings?.colors
  const given = Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string' && /^#[0-9a-f]{3,8}$|^rgba?\(/i.test(x)) : []
  return given.length ? given : PALETTE
}
