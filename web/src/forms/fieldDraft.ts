// A field being set up, in the form designer or as a column of a sub-form (the same field API,
// on the rows' table): a new one of a type, the checks before the API sees it, the body the API
// takes (all of it for a new field, what changed for a saved one) and what a refused save shows.
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import type { Field } from '@/api/types'
import { keyProblem, suggestKey } from '@/keys'
import { fieldErrorsOf, messageOf } from '@/problems'
import { fieldTypes } from '@/registries/fieldTypes'

/** A field as the settings panel edits it; ``_new`` until the API has it. */
export type FieldDraft = Field & { _new?: boolean }

type Translate = (key: string) => string

/** A new field of ``type`` named ``name``, its key suggested among ``taken``, placed last. */
export function newField(type: string, name: string, taken: string[], position: number): FieldDraft {
  return {
    id: 0,
    _new: true,
    key: suggestKey(type, type, taken),
    name,
    type,
    options: fieldTypes[type].defaultOptions(),
    required: false,
    unique: false,
    default: null,
    help_text: '',
    position,
  }
}

/** What the API would refuse, by input (``name``, ``key``, ``options.…``); ``keyTaken``: another
 *  field (saved, or on the canvas) has the draft's key. */
export function draftErrors(d: FieldDraft, keyTaken: boolean, t: Translate): Record<string, string> {
  const out: Record<string, string> = {}
  if (!d.name.trim()) out.name = t('validation.required')
  const kp = keyProblem(d.key)
  if (kp) out.key = t(kp)
  else if (keyTaken) out.key = t('validation.key_taken')
  if (d.type === 'relation' && !d.options.target_table) out['options.target_table'] = t('validation.required')
  if ((d.type === 'lookup' || d.type === 'rollup') && !d.options.relation) out['options.relation'] = t('validation.required')
  if (d.type === 'single_select' || d.type === 'multi_select') {
    const vals = (d.options.choices ?? []).map((c: { value?: string }) => c.value)
    if (vals.some((v: string | undefined) => !v?.trim())) out.options = t('validation.option_empty')
    else if (new Set(vals).size !== vals.length) out.options = t('validation.option_duplicate')
  }
  if (d.options.pattern && d.type !== 'auto_number') {
    try {
      new RegExp(d.options.pattern)
    } catch {
      out['options.pattern'] = t('validation.regex')
    }
  }
  return out
}

function optionsForApi(d: FieldDraft): Record<string, unknown> {
  const o = { ...d.options }
  if (d.type === 'relation' && !d._new) {
    // Target and pairing are fixed once created; the API does not take them back.
    delete o.target_table
    delete o.reverse_field
    delete o.owner
  }
  if (typeof o.default_formula === 'string' && !o.default_formula.trim()) delete o.default_formula
  return o
}

/** The body of ``POST …/fields`` for a new field, or of ``PATCH …/fields/<key>``: what differs
 *  from ``saved`` (empty: nothing to save). */
export function fieldBody(d: FieldDraft, saved?: Field): Record<string, unknown> {
  const body: Record<string, unknown> = {
    key: d.key, name: d.name.trim(), options: optionsForApi(d), required: d.required,
    unique: d.unique, help_text: d.help_text, default: d.default ?? null,
  }
  if (d._new) return { ...body, type: d.type }
  const patch: Record<string, unknown> = {}
  const was = (saved ?? {}) as Record<string, unknown>
  for (const [k, v] of Object.entries(body)) if (JSON.stringify(v) !== JSON.stringify(was[k] ?? (k === 'options' ? {} : null))) patch[k] = v
  return patch
}

/** A refused save: its errors for the inputs; said as a message too when no input shows them. */
export function refusedErrors(e: unknown): Record<string, string> {
  const errors = fieldErrorsOf(e)
  if (!Object.keys(errors).length || (e instanceof ApiError && e.status >= 500)) ElMessage.error(messageOf(e))
  return errors
}
