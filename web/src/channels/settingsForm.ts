// A channel kind's settings schema (pydantic's JSON schema) as form inputs, and the form's
// values back as the settings the API takes. Secrets are never shown: their inputs start blank,
// and blank means "keep the stored one" (left out of the request, or sent back masked).
import type { ChannelKind, PropSchema } from './api'

/** What the API shows in place of a stored secret (integrations/configs.py MASK). */
export const MASK = '••••••'
/** Settings edited as several lines (templates, certificates). */
const MULTILINE = new Set(['body', 'ca_pem', 'template', 'body_template'])

export type Widget = 'text' | 'textarea' | 'password' | 'number' | 'select' | 'switch' | 'tags' | 'pairs'

export interface SettingInput {
  key: string
  widget: Widget
  required: boolean
  nullable: boolean
  secret: boolean
  options: string[]
  integer: boolean
  min?: number
  max?: number
  default: unknown
  /** The schema's English title and description: shown when the UI has no text for the key. */
  title: string
  description: string
}

export interface Pair {
  name: string
  value: string
}

/** The form's state: a value per setting, and which stored secrets are to be removed. */
export interface SettingsModel {
  values: Record<string, any>
  cleared: Record<string, boolean>
}

/** `anyOf: [X, {type: null}]` (an optional setting) → X, nullable. */
function unwrap(p: PropSchema): { s: PropSchema; nullable: boolean } {
  if (!p.anyOf) return { s: p, nullable: false }
  const rest = p.anyOf.filter((x) => x.type !== 'null')
  return { s: { ...p, ...(rest[0] ?? {}), anyOf: undefined }, nullable: rest.length < p.anyOf.length }
}

function widgetOf(key: string, s: PropSchema, secret: boolean): Widget {
  if (s.enum) return 'select'
  if (s.type === 'boolean') return 'switch'
  if (s.type === 'integer' || s.type === 'number') return 'number'
  if (s.type === 'array') return 'tags'
  if (s.type === 'object') return 'pairs'
  if (secret) return 'password'
  if (MULTILINE.has(key) || s.format === 'textarea') return 'textarea'
  return 'text'
}

/** The inputs of a kind: the required ones first, else in the order its model declares them. */
export function inputsOf(kind: ChannelKind): SettingInput[] {
  const props = kind.settings_schema.properties ?? {}
  const required = new Set(kind.settings_schema.required ?? [])
  const keys = Object.keys(props)
  const ordered = [...keys.filter((k) => required.has(k)), ...keys.filter((k) => !required.has(k))]
  return ordered.map((key) => {
    const raw = props[key]
    const { s, nullable } = unwrap(raw)
    const secret = kind.secret_fields.includes(key)
    return {
      key,
      widget: widgetOf(key, s, secret),
      required: required.has(key),
      nullable,
      secret,
      options: (s.enum ?? []).map(String),
      integer: s.type === 'integer',
      min: s.minimum ?? s.exclusiveMinimum,
      max: s.maximum,
      default: raw.default,
      title: raw.title ?? key,
      description: raw.description ?? '',
    }
  })
}

/** The form's starting values: the stored settings (secrets blank), else the defaults. */
export function initialModel(inputs: SettingInput[], stored: Record<string, any> | null): SettingsModel {
  const values: Record<string, any> = {}
  for (const i of inputs) {
    const v = stored ? stored[i.key] : i.default
    switch (i.widget) {
      case 'password':
        values[i.key] = ''
        break
      case 'number':
        values[i.key] = typeof v === 'number' ? v : null
        break
      case 'switch':
        values[i.key] = Boolean(v ?? i.default ?? false)
        break
      case 'tags':
        values[i.key] = Array.isArray(v) ? v.map(String) : []
        break
      case 'pairs':
        values[i.key] = Object.entries(v && typeof v === 'object' ? v : {}).map(([name, val]) => ({ name, value: i.secret ? '' : String(val ?? '') }))
        break
      case 'select':
        values[i.key] = v == null ? (i.nullable ? null : String(i.default ?? i.options[0] ?? '')) : String(v)
        break
      default:
        values[i.key] = v == null ? '' : String(v)
    }
  }
  return { values, cleared: {} }
}

/** Whether a stored config has a value for this secret (the API shows it masked). */
export function hasStoredSecret(stored: Record<string, any> | null, key: string): boolean {
  const v = stored?.[key]
  return v != null && v !== '' && !(typeof v === 'object' && !Object.keys(v).length)
}

export class IncompleteSecret extends Error {
  constructor(readonly key: string) {
    super(key)
  }
}

/** The settings to send. An empty value is left out (the kind's default applies); a secret
 * left blank is left out too (the API keeps the stored one) unless it was cleared. A secret
 * map (headers) is kept whole when its names are unchanged and no value was typed; changing it
 * needs every value typed again (``IncompleteSecret``: the API stores maps whole). */
export function settingsOf(inputs: SettingInput[], model: SettingsModel, stored: Record<string, any> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const i of inputs) {
    const v = model.values[i.key]
    if (i.secret && model.cleared[i.key]) {
      out[i.key] = i.widget === 'pairs' ? {} : ''
      continue
    }
    switch (i.widget) {
      case 'password':
      case 'text':
      case 'textarea':
        if (typeof v === 'string' && v !== '') out[i.key] = i.widget === 'text' ? v.trim() : v
        break
      case 'number':
        if (typeof v === 'number' && !Number.isNaN(v)) out[i.key] = v
        break
      case 'select':
        if (v !== null && v !== '') out[i.key] = v
        break
      case 'switch':
        out[i.key] = Boolean(v)
        break
      case 'tags':
        if (Array.isArray(v) && v.length) out[i.key] = v.map((x) => String(x).trim()).filter(Boolean)
        break
      case 'pairs': {
        const rows = (v as Pair[]).filter((p) => p.name.trim())
        if (!rows.length) break
        if (i.secret && stored && hasStoredSecret(stored, i.key)) {
          const storedNames = Object.keys(stored[i.key]).sort().join('\n')
          const names = rows.map((p) => p.name.trim()).sort().join('\n')
          if (rows.every((p) => !p.value)) {
            if (names === storedNames) {
              out[i.key] = stored[i.key] // masked: kept as stored
              break
            }
          }
          if (rows.some((p) => !p.value)) throw new IncompleteSecret(i.key)
        }
        out[i.key] = Object.fromEntries(rows.map((p) => [p.name.trim(), p.value]))
        break
      }
    }
  }
  return out
}

/** Field errors of the API (`settings.body`, `settings.headers.X-Key`) by setting key. */
export function settingErrors(errors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [loc, msg] of Object.entries(errors)) {
    if (!loc.startsWith('settings.')) continue
    const key = loc.slice(9).split('.')[0]
    out[key] = out[key] ? `${out[key]} ${msg}` : msg
  }
  return out
}
