// What the form designer edits: the canvas of a layout (sections of rows of field cards), and a
// form's linkage rules as drafts (one shape for every action type, written out per type for the
// API), with the fields each part of a rule may name, as the server checks them
// (src/cairn/meta/form_rules.py).
import type { Field, FormAction, FormRule, Layout } from '@/api/types'

/** A field on the canvas: a saved one (``f<id>``) or a new one not saved yet (``_new``). */
export interface Draft extends Field {
  _new?: boolean
  _uid: string
}

/** A row of the canvas: 1 to 3 columns; ``fresh`` while just added and still empty. */
export interface DRow {
  uid: string
  cols: number
  cells: Draft[]
  fresh?: boolean
}

export interface DSection {
  uid: string
  /** What the form's linkage rules show or hide it by (none until a rule names it). */
  key?: string | null
  title: string
  collapsed: boolean
  rows: DRow[]
  /** Always empty: the drop zone that starts a new row at the end of the section. */
  drop: Draft[]
}

/** The layout of a form without its rules (what the canvas emits). */
export type Arrangement = Pick<Layout, 'sections'>

export const ACTION_TYPES = ['show', 'hide', 'require', 'readonly', 'set', 'clear', 'options'] as const
export type ActionType = (typeof ACTION_TYPES)[number]

/** One action as the editor holds it (every type's inputs, the type says which count). */
export interface ActionDraft {
  uid: string
  type: ActionType
  fields: string[]
  /** Section keys (``#<index>`` for a moment: a section picked that had no key gets one). */
  sections: string[]
  field: string
  value: string
  options: string[]
}

export interface RuleDraft {
  uid: string
  name: string
  when: string | null
  actions: ActionDraft[]
}

let uid = 0
export const nextUid = (p: string): string => `${p}${++uid}`

export function newAction(type: ActionType = 'show'): ActionDraft {
  return { uid: nextUid('a'), type, fields: [], sections: [], field: '', value: '', options: [] }
}

export function newRule(name: string): RuleDraft {
  return { uid: nextUid('rule'), name, when: null, actions: [newAction()] }
}

export function ruleDrafts(rules: FormRule[] | null | undefined): RuleDraft[] {
  return (rules ?? []).map((r) => ({
    uid: nextUid('rule'),
    name: r.name,
    when: r.when || null,
    actions: r.actions.map((a) => ({
      ...newAction(a.type as ActionType),
      fields: [...(a.fields ?? [])],
      sections: [...(a.sections ?? [])],
      field: a.field ?? '',
      value: a.value ?? '',
      options: [...(a.options ?? [])],
    })),
  }))
}

/** An action as the API takes it: only the keys of its type. */
export function actionBody(a: ActionDraft): FormAction {
  switch (a.type) {
    case 'show':
    case 'hide': {
      const out: FormAction = { type: a.type }
      if (a.fields.length || !a.sections.length) out.fields = [...a.fields]
      if (a.sections.length) out.sections = [...a.sections]
      return out
    }
    case 'require':
    case 'readonly':
    case 'clear':
      return { type: a.type, fields: [...a.fields] }
    case 'set':
      return { type: 'set', field: a.field, value: a.value }
    case 'options':
      return { type: 'options', field: a.field, options: [...a.options] }
  }
}

export function rulesBody(rules: RuleDraft[]): FormRule[] {
  return rules.map((r) => ({ name: r.name.trim(), when: r.when ?? '', actions: r.actions.map(actionBody) }))
}

// -- which fields each part of a rule may name (as the server checks them) -----------------------
/** Types whose value a rule's condition reads (stored, of a family the browser evaluates). */
const READABLE = new Set(['text', 'long_text', 'email', 'phone', 'url', 'vin', 'id_number', 'credit_code', 'auto_number', 'number', 'currency', 'percent', 'rating', 'date', 'datetime', 'single_select', 'boolean'])
/** Types a rule (or a default formula) may give a value: stored, writable, of a settable family. */
const SETTABLE = new Set(['text', 'long_text', 'email', 'phone', 'url', 'vin', 'id_number', 'credit_code', 'number', 'currency', 'percent', 'rating', 'date', 'datetime', 'single_select', 'boolean', 'user'])
/** Types a user writes (require, read-only). */
const COMPUTED = new Set(['lookup', 'rollup', 'formula', 'auto_number'])

/** Fields a condition or a set value may read (a sensitive one is never read). */
export const readableFields = (fields: Field[]): Field[] => fields.filter((f) => READABLE.has(f.type) && !f.options?.sensitive)
/** Fields a ``set`` or ``clear`` may change. */
export const settableFields = (fields: Field[]): Field[] => fields.filter((f) => SETTABLE.has(f.type))
/** Fields ``require`` and ``readonly`` may name. */
export const writableFields = (fields: Field[]): Field[] => fields.filter((f) => !COMPUTED.has(f.type))
/** Choice fields (``options``). */
export const choiceFields = (fields: Field[]): Field[] => fields.filter((f) => f.type === 'single_select' || f.type === 'multi_select')
/** Whether a field of this type may have a default formula. */
export const takesDefaultFormula = (type: string): boolean => SETTABLE.has(type)

/** The fields an action of this type may name. */
export function targetsOf(type: ActionType, fields: Field[]): Field[] {
  if (type === 'show' || type === 'hide') return fields
  if (type === 'require' || type === 'readonly') return writableFields(fields)
  if (type === 'options') return choiceFields(fields)
  return settableFields(fields)
}

/** A loc of the server's errors without the body's ``layout.`` (a variant's PATCH says
 *  ``layout.rules.0.when``, the table's own layout ``rules.0.when``). */
export function rulesErrors(byLoc: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(byLoc)) {
    const loc = k.startsWith('layout.') ? k.slice('layout.'.length) : k
    out[loc] = out[loc] ? `${out[loc]} ${v}` : v
  }
  return out
}
