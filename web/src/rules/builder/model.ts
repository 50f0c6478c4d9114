// The rule the builder edits: the RuleIn draft of the API (src/cairn/rules/spec.py), as plain
// objects. The builder's parts edit it in place; this module holds the shapes, the defaults of
// each trigger and action type, and the small conversions the forms share.
import type { Field } from '@/api/types'
import type { RuleDraft } from '@/rules/api'

export type { RuleDraft }

export type Unit = 'minutes' | 'hours' | 'days'
export const UNITS: Unit[] = ['minutes', 'hours', 'days']

/** A trigger: ``type`` and that type's settings (see spec.py). */
export type Trigger = Record<string, any>
/** An action: ``type``, that type's settings and ``on_error`` (stop / continue / null). */
export type Action = Record<string, any>

/** A value an action writes: a constant, a formula, or a field copied (spec.py ``Value``). */
export interface ValueSpec {
  value?: unknown
  formula?: string
  field?: string
}

export const TRIGGER_TYPES = [
  'record.created',
  'record.updated',
  'record.deleted',
  'record.merged',
  'record.unmerged',
  'date',
  'schedule',
  'inactivity',
  'webhook',
  'process.completed',
  'process.task_overdue',
  'segment.entered',
  'segment.exited',
  'score.band_entered',
  'score.dropped',
] as const

export const ACTION_TYPES = ['notify', 'update_record', 'create_record', 'webhook', 'wait', 'start_process', 'add_tag', 'remove_tag'] as const

/** A fresh trigger of ``type`` with the settings a person most often wants. */
export function newTrigger(type: string, fields: Field[]): Trigger {
  if (type.startsWith('record.')) return { type }
  if (type === 'date') {
    const f = fields.find((x) => x.type === 'date' || x.type === 'datetime')
    return { type, field: f?.key ?? '', offset: 0, unit: 'days', at: '09:00', yearly: false }
  }
  if (type === 'schedule') return { type, cron: '0 9 * * 1-5' }
  if (type === 'inactivity') {
    const r = fields.find((x) => x.type === 'relation')
    return { type, sources: [{ relation: r?.key ?? '', date_field: null }], days: 30 }
  }
  if (type === 'webhook') return { type, mapping: {}, match: null }
  if (type.startsWith('segment.')) return { type, segment: null }
  if (type === 'score.band_entered') return { type, model: null, band: 'red' }
  if (type === 'score.dropped') return { type, model: null, points: 20, days: 30 }
  return { type, process: null }
}

/** A fresh action of ``type``. */
export function newAction(type: string): Action {
  switch (type) {
    case 'notify':
      return { type, channel: 'inapp', to: ['owner'], subject: '', body: '', link: false }
    case 'update_record':
      return { type, target: 'this', values: {} }
    case 'create_record':
      return { type, table: '', values: {} }
    case 'webhook':
      return { type, channel: 'webhook', url: '', body: null }
    case 'wait':
      return { type, amount: 1, unit: 'hours', recheck: true }
    case 'add_tag':
    case 'remove_tag':
      return { type, tags: [] }
    default:
      return { type: 'start_process', process: '' }
  }
}

/** What ``on_error: null`` means for a type (B2: continue for messages, stop for the rest). */
export function defaultOnError(type: string): 'stop' | 'continue' {
  return type === 'notify' || type === 'webhook' ? 'continue' : 'stop'
}

/** One source of activity: linked records through a relation (dated by a field, else their
 * creation), or the record's interactions of some kinds (any when the list is empty). */
export interface InactivitySource {
  relation?: string | null
  date_field?: string | null
  interactions?: string[]
}

/** The inactivity trigger's sources, old single-source shape included. */
export function sourcesOf(t: Trigger): InactivitySource[] {
  if (Array.isArray(t.sources)) return t.sources
  if (t.relation) return [{ relation: t.relation, date_field: t.date_field ?? null }]
  return []
}

/** ``{"key": "text"}`` is short for a formula, a non-object a constant (spec.py ``_values``). */
export function valueSpec(v: unknown): ValueSpec {
  if (typeof v === 'string') return { formula: v }
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as ValueSpec
  return { value: v }
}

/** Field types a record's value may be written to by a rule (computed ones are left out). */
export const COMPUTED_TYPES = new Set(['formula', 'lookup', 'rollup', 'auto_number'])
export const writable = (fields: Field[]) => fields.filter((f) => !COMPUTED_TYPES.has(f.type))
export const dateFields = (fields: Field[]) => fields.filter((f) => f.type === 'date' || f.type === 'datetime')
export const relationFields = (fields: Field[]) => fields.filter((f) => f.type === 'relation')

/** ``loc`` and everything under it that has an error (``actions.2`` → ``actions.2.body``…). */
export function errorsUnder(errors: Record<string, string>, loc: string): string[] {
  return Object.entries(errors)
    .filter(([k]) => k === loc || k.startsWith(`${loc}.`))
    .map(([, v]) => v)
}
