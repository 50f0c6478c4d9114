// The rule engine's API as the rule pages use it (/api/v1/apps/{app}/rules): the shapes of a
// rule, its runs, a dry run, a forecast and a validation. Written here (not only generated):
// triggers and actions are free-form in the OpenAPI document, and the pages were written
// against the issue 17 contract before every endpoint landed.
import type { InjectionKey, Ref } from 'vue'
import { api, ApiError } from '@/api/client'
import { paths, V1 } from '@/api/paths'
import type { RecordsPage, Table } from '@/api/types'
import type { components } from '@/api/schema'

const e = encodeURIComponent

export const rulePaths = {
  list: (app: string) => `${V1}/apps/${e(app)}/rules`,
  rule: (app: string, id: number) => `${V1}/apps/${e(app)}/rules/${id}`,
  runs: (app: string, id: number) => `${V1}/apps/${e(app)}/rules/${id}/runs`,
  test: (app: string, id: number) => `${V1}/apps/${e(app)}/rules/${id}/test`,
  forecast: (app: string, id: number) => `${V1}/apps/${e(app)}/rules/${id}/forecast`,
  validate: (app: string) => `${V1}/apps/${e(app)}/rules/validate`,
  dryRun: (app: string) => `${V1}/apps/${e(app)}/rules/dry-run`,
  draftForecast: (app: string) => `${V1}/apps/${e(app)}/rules/forecast`,
}

/** What the builder edits and the API takes (POST, and PUT with ``version``). */
export interface RuleDraft {
  key: string
  name: string
  description: string
  table: string
  enabled: boolean
  trigger: Record<string, any>
  condition: string | null
  actions: Record<string, any>[]
}

export interface Rule extends RuleDraft {
  id: number
  owner_id: number | null
  version: number
  created_at: string | null
  updated_at: string | null
  webhook?: { path: string; secret: string | null; has_secret?: boolean } | null
  /** The latest run (the rule list carries it; null when the rule never ran). */
  last_run?: { status: string; started_at: string | null } | null
}

export interface RecordRef {
  id: number
  title?: string | null
  table?: string | null
}

/** One action's outcome in a run. */
export interface RunAction {
  index: number
  type: string
  status: string
  ms?: number
  result?: unknown
  error?: string | null
  on_error?: 'stop' | 'continue' | null
}

export interface Run {
  id: number
  trigger: string | null
  event_id: unknown
  record_id: number | null
  record?: RecordRef | null
  status: string
  late: boolean
  condition: boolean | null
  depth: number | null
  actions: RunAction[]
  error: unknown
  started_at: string | null
  finished_at: string | null
}

export interface Runs {
  items: Run[]
  waiting: { run_id: number; due_at: string }[]
  total?: number
}

export interface RunFilters {
  status?: string
  record_id?: number | null
  trigger?: string
  since?: string
  until?: string
}

/** What the rule would do on one record. */
export interface DryRun {
  record_id: number
  condition: boolean | null
  would_run: boolean
  actions: { index: number; type: string; would?: Record<string, any>; error?: string }[]
}

export interface ForecastItem {
  record_id: number | null
  fire_key: string
  due_at: string
  overdue: boolean
  record?: RecordRef | null
}

export interface Forecast {
  days: number
  items: ForecastItem[]
  total: number
  per_day?: { date: string; count: number }[]
}

/** The server's check of a draft (``POST /rules/validate``): errors by dotted ``loc``, the
 * condition's type, a schedule's next occurrences. */
export type Validation = components['schemas']['RuleValidation']
export type ValidationError = components['schemas']['RuleProblem']

/** The editor's latest ``/rules/validate`` reply (``condition_type``, ``schedule_next``), for
 * the builder's parts that show them: ``inject(VALIDATION_KEY)``. */
export const VALIDATION_KEY: InjectionKey<Ref<Validation | null>> = Symbol('rule-validation')

/** A new webhook rule's address and secret, shown once: handed from the save to the editor
 * opened at the rule's address (the page is a new one there). */
export const shownOnce: { value: { id: number; path: string; secret: string } | null } = { value: null }

export const STATUS_TAG: Record<string, 'success' | 'info' | 'danger' | 'warning' | 'primary'> = {
  ok: 'success',
  partial: 'warning',
  failed: 'danger',
  skipped: 'info',
  stopped: 'warning',
  running: 'primary',
  waiting: 'primary',
}

/** A run's statuses, in the order the filter lists them. */
export const RUN_STATUSES = ['ok', 'partial', 'failed', 'skipped', 'waiting', 'running', 'stopped']

/** The rule as the API takes it (nothing the server adds). */
export function draftOf(r: Rule | RuleDraft): RuleDraft {
  return {
    key: r.key,
    name: r.name,
    description: r.description ?? '',
    table: r.table,
    enabled: r.enabled,
    trigger: r.trigger ?? {},
    condition: r.condition ?? null,
    actions: r.actions ?? [],
  }
}

/** A draft as the validation, the draft dry run and the draft forecast take it: with the id of
 * the rule being edited, which keeps its own key and, in a forecast, its enable point and what
 * it fired already (without it, a saved date rule's past firings show again as due now). */
export function withId(draft: RuleDraft, id: number | null): RuleDraft & { id?: number } {
  return id === null ? draft : { ...draft, id }
}

/** A 422's errors by the input they name (dotted ``loc``: ``trigger.cron``, ``actions.2.body``).
 * ``under``: the member of the request body the rule was sent in (the draft dry run and
 * forecast send ``{rule: …}`` and name ``rule.trigger.cron``): taken off, so the locations are
 * the editor's own. */
export function errorsByLoc(e: unknown, under?: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (e instanceof ApiError) {
    const list = Array.isArray(e.body.errors) ? (e.body.errors as Record<string, unknown>[]) : []
    for (const x of list) {
      let loc = String(x.loc ?? x.field ?? '')
      if (under && loc.startsWith(`${under}.`)) loc = loc.slice(under.length + 1)
      out[loc] = out[loc] ? `${out[loc]} ${String(x.message ?? x.code ?? '')}` : String(x.message ?? x.code ?? '')
    }
  }
  return out
}

/** Is this the API saying the route is not there (an older server)? */
export const missingRoute = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 405) && e.code !== 'rule.not_found' && e.code !== 'record.not_found'

/** The titles (display field) of some records of a table, by id; unreadable ones are absent. */
export async function recordTitles(app: string, table: Table | undefined, ids: number[]): Promise<Record<number, string>> {
  const want = [...new Set(ids.filter((x) => Number.isInteger(x)))]
  if (!table || !want.length) return {}
  const d = table.display_field
  try {
    const page = await api.post<RecordsPage>(paths.query(app, table.key), {
      filter: { field: 'id', op: 'in', value: want },
      limit: want.length,
      fields: d ? [d] : undefined,
    })
    return Object.fromEntries(page.items.map((r) => [r.id, d && r[d] !== null && r[d] !== undefined && r[d] !== '' ? String(r[d]) : `#${r.id}`]))
  } catch {
    return {}
  }
}
