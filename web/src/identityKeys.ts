// Identity keys in the browser: the same rules as src/cairn/core/idkeys, so a form refuses a
// mistyped VIN, ID number or credit code before the API does (the API checks again).
import type { Problem } from '@/registries/fieldTypes/types'

/** Half-width, upper case, without white space and the given separators. */
export function compact(value: unknown, drop = '-'): string {
  const text = String(value).normalize('NFKC').toUpperCase()
  return [...text].filter((c) => !/\s/.test(c) && !drop.includes(c)).join('')
}

const VIN_VALUES: Record<string, number> = {}
'0123456789'.split('').forEach((c, i) => (VIN_VALUES[c] = i))
'ABCDEFGH'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 1))
'JKLMN'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 1))
VIN_VALUES.P = 7
VIN_VALUES.R = 9
'STUVWXYZ'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 2))
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]

export function vinCheckDigit(vin: string): string {
  const total = [...vin].reduce((sum, c, i) => sum + VIN_VALUES[c] * VIN_WEIGHTS[i], 0)
  const rest = total % 11
  return rest === 10 ? 'X' : String(rest)
}

export function checkVin(value: unknown): Problem | null {
  const vin = compact(value, '-.')
  if (vin.length !== 17) return { key: 'validation.vin_length', params: { length: vin.length } }
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin)) return { key: 'validation.vin_chars' }
  // North American (WMI 1-5) and Chinese (L, GB 16735) VINs carry the check digit.
  if ('12345L'.includes(vin[0])) {
    const expected = vinCheckDigit(vin)
    if (vin[8] !== expected) return { key: 'validation.vin_check', params: { expected } }
  }
  return null
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const PROVINCES = new Set('11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83'.split(' '))

/** The ISO 7064 MOD 11-2 check character of the first 17 digits. */
export function idCheckCharacter(first17: string): string {
  const total = [...first17].reduce((sum, c, i) => sum + Number(c) * ID_WEIGHTS[i], 0)
  return '10X98765432'[total % 11]
}

export function checkIdNumber(value: unknown, today: Date = new Date()): Problem | null {
  let id = compact(value)
  if (/^\d{15}$/.test(id)) {
    // An old card's number, upgraded as the API does (GB 11643-1999).
    const body = id.slice(0, 6) + '19' + id.slice(6)
    id = body + idCheckCharacter(body)
  }
  if (!/^\d{17}[\dX]$/.test(id)) return { key: 'validation.id_number_shape' }
  if (!PROVINCES.has(id.slice(0, 2))) return { key: 'validation.id_number_region' }
  const [y, m, d] = [Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14))]
  const born = new Date(Date.UTC(y, m - 1, d))
  if (y < 1800 || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || born.getTime() > today.getTime()) {
    return { key: 'validation.id_number_date' }
  }
  const expected = idCheckCharacter(id.slice(0, 17))
  return id[17] === expected ? null : { key: 'validation.id_number_check', params: { expected } }
}

const USCC = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

export function creditCheckCharacter(first17: string): string {
  const total = [...first17].reduce((sum, c, i) => sum + USCC.indexOf(c) * USCC_WEIGHTS[i], 0)
  return USCC[(31 - (total % 31)) % 31]
}

export function checkCreditCode(value: unknown): Problem | null {
  const code = compact(value)
  if (code.length !== 18) return { key: 'validation.credit_code_length', params: { length: code.length } }
  if (!/^[0-9A-HJ-NP-RT-UW-Y]{2}\d{6}[0-9A-HJ-NP-RT-UW-Y]{10}$/.test(code)) return { key: 'validation.credit_code_chars' }
  const expected = creditCheckCharacter(code.slice(0, 17))
  return code[17] === expected ? null : { key: 'validation.credit_code_check', params: { expected } }
}

/** The kinds of identity key a field of each type may hold (the API's ``key_kinds``). */
export const KEY_KINDS: Record<string, string[]> = {
  text: ['passport', 'ffp', 'plate', 'vin', 'id_number', 'credit_code', 'mobile', 'email'],
  phone: ['mobile'],
  email: ['email'],
  vin: ['vin'],
  id_number: ['id_number'],
  credit_code: ['credit_code'],
}
