import type { Component } from 'vue'
import type { Field } from '@/api/types'

/** A message key and its parameters (translated where it is shown). */
export interface Problem {
  key: string
  params?: Record<string, unknown>
}

/**
 * The UI side of one backend field type, found by the same key (src/cairn/meta/fieldtypes).
 * Cell: props {field, value, app}. Editor: v-model with props {field, app, table}.
 * FilterInput: v-model with props {field, op, app}. Settings: v-model:options with props {app}.
 */
export interface FieldTypeUI {
  key: string
  /** Palette group in the form designer. */
  group: 'text' | 'number' | 'choice' | 'date' | 'contact' | 'relation' | 'other'
  icon: Component
  /** The API accepts values for it (computed and system types do not). */
  writable: boolean
  sortable: boolean
  /** Filter operators, as the backend names them. */
  operators: string[]
  /** Grid column width in pixels. */
  width: number
  cell: Component
  editor: Component | null
  filterInput: Component | null
  settings: Component | null
  defaultOptions: () => Record<string, unknown>
  /** Client-side check before the API sees the value (the API checks again). */
  validate?: (value: unknown, field: Field) => Problem | null
  /** Edited in the record's form only: not inline in a grid, nor in a bulk edit (a sub-form). */
  formOnly?: boolean
  /** The value as the API takes it, when that differs from what the editor holds. */
  input?: (value: unknown, field: Field, app: string) => unknown
}

export const TEXT_OPS = ['contains', 'eq', 'ne', 'starts_with', 'is_empty', 'is_not_empty']
export const ORDERED_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty']
export const DATE_OPS = [
  'eq', 'lt', 'gt', 'between', 'today', 'yesterday', 'this_week', 'this_month', 'this_year',
  'last_n_days', 'next_n_days', 'is_empty', 'is_not_empty',
]
export const EMPTY_OPS = ['is_empty', 'is_not_empty']
/** Operators that take no operand. */
export const NO_VALUE_OPS = new Set([
  'is_empty', 'is_not_empty', 'today', 'yesterday', 'this_week', 'this_month', 'this_year',
])

export function isBlank(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0)
}

/** Text length and pattern rules shared by the text family. */
export function checkText(value: unknown, field: Field): Problem | null {
  if (isBlank(value)) return null
  const s = String(value)
  const o = field.options ?? {}
  if (o.max_length && s.length > o.max_length) return { key: 'validation.max_length', params: { max: o.max_length } }
  if (o.min_length && s.length < o.min_length) return { key: 'validation.min_length', params: { min: o.min_length } }
  if (o.pattern) {
    try {
      if (!new RegExp(`^(?:${o.pattern})$`).test(s)) return { key: 'validation.pattern', params: { pattern: o.pattern } }
    } catch {
      return null
    }
  }
  return null
}
