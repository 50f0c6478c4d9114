// The formula language's values and value rules in the browser: the same rules as the
// server's Python evaluator (src/cairn/formula/runtime.py, convert.py), to the bit.
//
// Values: a number is a JS number (an IEEE double, as Python's float), text a string, a
// boolean a boolean, blank null, a date a DateV (its proleptic Gregorian ordinal, 0001-01-01
// is 1, as Python's date.toordinal), a date and time a DateTimeV (whole seconds since
// 1970-01-01 00:00, local wall-clock time), an error an ErrV (#DIV/0!, #VALUE!, #NUM!).

export class DateV {
  constructor(readonly ord: number) {}
}

export class DateTimeV {
  constructor(readonly s: number) {}
}

export class ErrV {
  constructor(readonly code: string) {}
}

export type Value = number | string | boolean | null | DateV | DateTimeV | ErrV

export const DIV0 = new ErrV('#DIV/0!')
export const VALUE = new ErrV('#VALUE!')
export const NUM = new ErrV('#NUM!')

export const isErr = (v: unknown): v is ErrV => v instanceof ErrV

// -- calendar ---------------------------------------------------------------------------------
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
}

/** Python's date(y, m, d).toordinal() (no checks). */
export function ordinal(y: number, m: number, d: number): number {
  const p = y - 1
  return p * 365 + Math.floor(p / 4) - Math.floor(p / 100) + Math.floor(p / 400) + DAYS_BEFORE_MONTH[m] + (m > 2 && isLeap(y) ? 1 : 0) + d
}

/** Python's date.fromordinal(n): [year, month, day] (CPython's _ord2ymd). */
export function ymd(n: number): [number, number, number] {
  let k = n - 1
  const n400 = Math.floor(k / 146097)
  k -= n400 * 146097
  const n100 = Math.floor(k / 36524)
  k -= n100 * 36524
  const n4 = Math.floor(k / 1461)
  k -= n4 * 1461
  const n1 = Math.floor(k / 365)
  k -= n1 * 365
  const year = n400 * 400 + 1 + n100 * 100 + n4 * 4 + n1
  if (n1 === 4 || n100 === 4) return [year - 1, 12, 31]
  const leap = n1 === 3 && (n4 !== 24 || n100 === 3)
  let month = (k + 50) >> 5
  let preceding = DAYS_BEFORE_MONTH[month] + (month > 2 && leap ? 1 : 0)
  if (preceding > k) {
    month -= 1
    preceding -= [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] + (month === 2 && leap ? 1 : 0)
  }
  return [year, month, k - preceding + 1]
}

/** A valid date's ordinal, or null. */
export function makeDate(y: number, m: number, d: number): number | null {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null
  return ordinal(y, m, d)
}

export const DATE_MIN_ORD = 1
export const DATE_MAX_ORD = ordinal(9999, 12, 31)
export const EPOCH_ORD = ordinal(1970, 1, 1)
export const DAY = 86400
export const MIN_EPOCH = (DATE_MIN_ORD - EPOCH_ORD) * DAY
export const MAX_EPOCH = (DATE_MAX_ORD - EPOCH_ORD) * DAY + DAY - 1

export const asDateTime = (v: DateV | DateTimeV): DateTimeV => (v instanceof DateTimeV ? v : new DateTimeV((v.ord - EPOCH_ORD) * DAY))
export const asDate = (v: DateV | DateTimeV): DateV => (v instanceof DateV ? v : new DateV(EPOCH_ORD + Math.floor(v.s / DAY)))
export const epochSeconds = (v: DateV | DateTimeV): number => asDateTime(v).s

/** [hour, minute, second] of a date and time. */
export function clock(v: DateTimeV): [number, number, number] {
  const sec = v.s - Math.floor(v.s / DAY) * DAY
  return [Math.floor(sec / 3600), Math.floor((sec % 3600) / 60), sec % 60]
}

// -- numbers ----------------------------------------------------------------------------------
export const HUGE = 1e300
export const MAX_NUMBER_TEXT = 200
const NUMBER_TEXT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$/

/** Python's int(max(lo, min(hi, x))): truncated towards zero, kept within [lo, hi]. */
export function clampInt(x: number, lo: number, hi: number): number {
  if (Number.isNaN(x)) return lo
  return Math.trunc(Math.max(lo, Math.min(hi, x)))
}

/** Strip only spaces (Python's str.strip(" ")). */
export function stripSpaces(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && s.charCodeAt(a) === 32) a++
  while (b > a && s.charCodeAt(b - 1) === 32) b--
  return s.slice(a, b)
}

/** Text as a number ("2" → 2, " -1.5 " → -1.5); anything else is #VALUE!. */
export function textNumber(s: string): number | ErrV {
  const t = stripSpaces(s)
  if ([...t].length > MAX_NUMBER_TEXT || !NUMBER_TEXT.test(t)) return VALUE
  return Number(t)
}

/** The exact decimal value of a double: [digits, exponent] with value = ±digits × 10^exponent. */
function exactDecimal(x: number): [bigint, number] {
  const buf = new DataView(new ArrayBuffer(8))
  buf.setFloat64(0, Math.abs(x))
  const hi = buf.getUint32(0)
  const lo = buf.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let e2: number
  if (biased === 0) e2 = -1074
  else {
    mant |= 1n << 52n
    e2 = biased - 1075
  }
  if (e2 >= 0) return [mant << BigInt(e2), 0]
  return [mant * 5n ** BigInt(-e2), e2]
}

/** The number to 15 significant digits (round half to even on the exact value, as Python's
 *  f"{x:.15g}"): [sign, digits without trailing zeros, exponent] (value = digits × 10^exp). */
export function num15(x: number): [boolean, bigint, number] {
  if (x === 0) return [false, 0n, 0]
  const neg = x < 0
  let [digits, exp] = exactDecimal(x)
  const len = digits.toString().length
  if (len > 15) {
    const drop = len - 15
    const p = 10n ** BigInt(drop)
    let q = digits / p
    const r = digits % p
    const half = p / 2n
    if (r > half || (r === half && q % 2n === 1n)) q += 1n
    digits = q
    exp += drop
  }
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n
    exp += 1
  }
  return [neg, digits, exp]
}

/** ±digits × 10^exp in plain decimal notation. */
function plain(neg: boolean, digits: bigint, exp: number): string {
  let s = digits.toString()
  if (exp >= 0) s = s + '0'.repeat(exp)
  else if (-exp >= s.length) s = '0.' + '0'.repeat(-exp - s.length) + s
  else s = s.slice(0, s.length + exp) + '.' + s.slice(s.length + exp)
  return (neg ? '-' : '') + s
}

/** A number as text: 15 significant digits, plain decimal notation ("0.1", "1", "100"). */
export function numberText(x: number): string {
  const [neg, digits, exp] = num15(x)
  return digits === 0n ? '0' : plain(neg, digits, exp)
}

/** ROUND (half away from zero), ROUNDUP (away from zero), ROUNDDOWN (towards zero) of the
 *  number's 15 significant digits, to ``digits`` places. */
export function roundNumber(x: number, places: number, mode: 'half' | 'up' | 'down'): number {
  const n = clampInt(places, -300, 300)
  const [neg, digits, exp] = num15(x)
  if (digits === 0n) return 0
  if (exp >= -n) return Number(plain(neg, digits, exp))
  const shift = BigInt(-n - exp)
  const p = 10n ** shift
  let q = digits / p
  const r = digits % p
  if (mode === 'half' ? r * 2n >= p : mode === 'up' ? r > 0n : false) q += 1n
  return Number((neg ? '-' : '') + q.toString() + 'e' + String(-n))
}

// -- text -------------------------------------------------------------------------------------
/** A-Z to a-z only (so every back end agrees). */
export const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32))
export const upper = (s: string): string => s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32))
export const trimSpaces = (s: string): string => stripSpaces(s).replace(/ +/g, ' ')

/** Compare by code points (Python's str order), -1, 0 or 1. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0
  const x = [...a]
  const y = [...b]
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const cx = x[i].codePointAt(0)!
    const cy = y[i].codePointAt(0)!
    if (cx !== cy) return cx < cy ? -1 : 1
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1
}

const pad2 = (n: number): string => String(n).padStart(2, '0')

/** Any scalar as text (for & and CONCAT): dates as Python's strftime("%Y-%m-%d") writes them
 *  (the year without padding). */
export function toText(v: Value): string {
  if (v === null) return ''
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (typeof v === 'number') return numberText(v)
  if (v instanceof DateTimeV) {
    const [y, m, d] = ymd(asDate(v).ord)
    const [h, mi, s] = clock(v)
    return `${y}-${pad2(m)}-${pad2(d)} ${pad2(h)}:${pad2(mi)}:${pad2(s)}`
  }
  if (v instanceof DateV) {
    const [y, m, d] = ymd(v.ord)
    return `${y}-${pad2(m)}-${pad2(d)}`
  }
  if (v instanceof ErrV) return v.code
  return v
}

/** A date as ISO 8601 (the year padded to 4 digits, as Python's date.isoformat). */
export function isoDate(v: DateV): string {
  const [y, m, d] = ymd(v.ord)
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`
}

// -- conversions (convert.py) -----------------------------------------------------------------
export function pyNumber(v: Value, blank: number | null = 0): number | null | ErrV {
  if (v === null) return blank
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string') return textNumber(v)
  if (typeof v === 'number') return v
  return VALUE // not reached: the type checker lets no date into a number
}

export function pyBool(v: Value): boolean {
  if (v === null) return false
  if (typeof v === 'boolean') return v
  return Number(v) !== 0
}

export function convert(v: Value, kind: string): Value {
  if (v instanceof ErrV) return v
  switch (kind) {
    case 'number':
      return pyNumber(v)
    case 'number?':
    case 'numbers':
      return pyNumber(v, null)
    case 'text':
      return v === null ? '' : toText(v)
    case 'boolean':
      return pyBool(v)
    case 'date?':
      return v === null ? null : asDate(v as DateV | DateTimeV)
    case 'datetime?':
      return v === null ? null : asDateTime(v as DateV | DateTimeV)
    default:
      return v
  }
}
