// What the builder's parts share: the app, the table's fields, the other tables (create a
// record, a relation's target), the pickers' lists (roles, channels, processes), the server's
// errors by input (``loc``) and the live preview's record.
// RuleBuilder provides it; the parts inject it.
import { inject, type ComputedRef, type InjectionKey, type Ref } from 'vue'
import type { Field, Table } from '@/api/types'
import type { RuleDraft } from './model'
import type { Preview } from './preview'

export interface Named {
  value: string
  label: string
}

export interface BuilderContext {
  app: string
  draft: ComputedRef<RuleDraft>
  fields: ComputedRef<Field[]>
  tables: Ref<Table[]>
  roles: Ref<Named[]>
  /** Channel choices: the built-in kinds and the configured ones (``wecom:service``). */
  channels: Ref<Named[]>
  processes: Ref<Named[]>
  /** Every error of the draft by ``loc``. */
  errors: ComputedRef<Record<string, string>>
  /** The error of one input (``trigger.cron``, ``actions.2.body``), '' when none. */
  error: (loc: string) => string
  /** The record the templates' live preview renders on (null: none chosen). */
  previewRecord: Ref<number | null>
  /** The saved rule's id (null while new): the webhook secret is rotated through it. */
  ruleId: ComputedRef<number | null>
  /** The saved rule's inbound webhook (``secret`` only right after it was made). */
  webhook: ComputedRef<RuleWebhook | null>
  /** The next occurrences of a schedule, as the server's validation computed them. */
  schedule: ComputedRef<string[]>
  /** The dry run of the draft on ``previewRecord`` (the templates' live preview). */
  preview: Preview
  /** The fields of another table of the app, by key or id. */
  tableFields: (table: string | number | undefined | null) => Field[]
  // Another owner of actions (a report alert, issue 18) says how its actions differ from a
  // rule's: all optional, a rule's builder leaves them out.
  /** The action types offered (default: every one of ``ACTION_TYPES``). */
  actionTypes?: readonly string[]
  /** The placeholders a template offers besides the fields (default: a record's). */
  extras?: { key: string; label: string }[]
  /** What the recipients ``owner`` and ``manager:owner`` are called (default: the record's owner). */
  ownerLabels?: { owner: string; manager: string }
  /** Whether the actions act on a record (its fields as recipients, values copied from it or
   * a formula over it, the preview on one); default true. */
  onRecord?: boolean
}

export interface RuleWebhook {
  path: string
  secret?: string | null
  has_secret?: boolean
}

export const BUILDER: InjectionKey<BuilderContext> = Symbol('rule-builder')

export function useBuilder(): BuilderContext {
  const ctx = inject(BUILDER)
  if (!ctx) throw new Error('the rule builder parts need its context')
  return ctx
}
