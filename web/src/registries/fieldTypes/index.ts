// The field-type registry of the UI: one module per backend key (src/cairn/meta/fieldtypes).
import type { Field } from '@/api/types'
import type { FieldTypeUI } from './types'

const modules = import.meta.glob<{ default: FieldTypeUI }>('./*.ts', { eager: true })

export const fieldTypes: Record<string, FieldTypeUI> = {}
for (const [path, mod] of Object.entries(modules)) {
  if (!mod.default || path.endsWith('/types.ts') || path.endsWith('/index.ts')) continue
  const key = path.replace(/^\.\//, '').replace(/\.ts$/, '')
  if (mod.default.key !== key) throw new Error(`field type module ${path} has key ${mod.default.key}`)
  fieldTypes[key] = mod.default
}

/** Palette order in the form designer. */
export const PALETTE = [
  'text', 'long_text', 'number', 'currency', 'percent', 'rating', 'single_select', 'multi_select',
  'boolean', 'date', 'datetime', 'phone', 'email', 'url', 'vin', 'id_number', 'credit_code', 'relation', 'lookup', 'rollup',
  'formula', 'attachment', 'user', 'location', 'auto_number', 'subform',
].filter((k) => k in fieldTypes)

/** What SQL can do with a sensitive (encrypted) field: equality on its blind index, no sorting. */
const SENSITIVE_OPS = ['eq', 'ne', 'is_empty', 'is_not_empty']
const sensitiveTypes: Record<string, FieldTypeUI> = {}

export function typeOf(field: Pick<Field, 'type'> & { options?: Record<string, any> }): FieldTypeUI {
  const base = fieldTypes[field.type] ?? fieldTypes.text
  if (!field.options?.sensitive) return base
  return (sensitiveTypes[base.key] ??= {
    ...base,
    operators: base.operators.filter((op) => SENSITIVE_OPS.includes(op)),
    sortable: false,
  })
}

/** A field's value as the API takes it (a sub-form's rows without their computed columns). */
export function apiValue(field: Field, value: unknown, app: string): unknown {
  const input = typeOf(field).input
  return input ? input(value, field, app) : value
}
