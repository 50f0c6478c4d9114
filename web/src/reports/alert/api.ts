// Report alerts as the alert pages use them (/api/v1/apps/{app}/alerts): what an alert stores
// (reports/alerts.py ``AlertIn``: a KPI or a table's measure, the threshold, the schedule, the
// rule-engine actions a crossing runs), its check log and a check now (dry or real).
import { api } from '@/api/client'
import { V1 } from '@/api/paths'
import type { PeriodSpec } from '@/reports/kpi/api'

const e = encodeURIComponent

export const alertPaths = {
  list: (app: string) => `${V1}/apps/${e(app)}/alerts`,
  alert: (app: string, id: number) => `${V1}/apps/${e(app)}/alerts/${id}`,
  check: (app: string, id: number, dry: boolean) => `${V1}/apps/${e(app)}/alerts/${id}/check${dry ? '?dry_run=true' : ''}`,
  checks: (app: string, id: number) => `${V1}/apps/${e(app)}/alerts/${id}/checks`,
}

export type Op = '>' | '>=' | '<' | '<='
export const OPS: Op[] = ['>', '>=', '<', '<=']

export interface MeasureSpec {
  agg: string
  field?: string | null
  filter?: unknown
  key?: string
  label?: string
}

/** A table's measure (reports/spec.py ``DatasetSpec``): the alert reads the first measure. */
export interface DatasetSpec {
  table: string
  filter?: unknown
  measures: MeasureSpec[]
  [more: string]: unknown
}

export interface AlertSchedule {
  cron?: string | null
  every?: number | null
  unit?: 'minutes' | 'hours' | 'days'
}

/** What the editor edits and the API takes (POST; PUT with ``version``). */
export interface AlertDraft {
  key: string
  name: string
  description: string
  enabled: boolean
  kpi?: { key: string; params: Record<string, any> } | null
  dataset?: DatasetSpec | null
  op: Op
  threshold: number | null
  period?: PeriodSpec | null
  date_field?: string
  schedule: AlertSchedule
  owner_id?: number | null
  actions: Record<string, any>[]
}

export interface Alert extends AlertDraft {
  id: number
  state: 'ok' | 'firing'
  crossings: number
  last_value: number | null
  last_checked_at: string | null
  last_fired_at: string | null
  next_check_at: string | null
  version: number
  created_at: string | null
  updated_at: string | null
}

export interface CheckAction {
  index: number
  type: string
  status: string
  ms?: number
  result?: unknown
  error?: string | null
}

export interface AlertCheck {
  id: number
  trigger: string | null
  value: number | null
  state_before: string | null
  state: string | null
  change: 'crossed' | 'recovered' | null
  crossing: number | null
  status: string | null
  attempts: number | null
  actions: CheckAction[]
  error: string | null
  checked_at: string | null
  finished_at: string | null
}

/** A dry run: the value now and what a crossing now would do (nothing is logged or sent). */
export interface DryRun {
  dry_run: true
  value: number | null
  unit?: string | null
  period?: { start: string; end: string } | null
  state_before: string
  state: string
  change: 'crossed' | 'recovered' | null
  would_act?: boolean
  would: { index: number; type: string; would?: Record<string, any>; error?: string }[]
  error: string | null
}

const DRAFT_KEYS: (keyof AlertDraft)[] = ['key', 'name', 'description', 'enabled', 'kpi', 'dataset', 'op', 'threshold', 'period', 'date_field', 'schedule', 'owner_id', 'actions']

/** The alert as the API takes it (nothing the server adds; absent members left out). */
export function draftOf(a: Alert | AlertDraft): AlertDraft {
  const out: Record<string, unknown> = {}
  for (const k of DRAFT_KEYS) if (a[k] !== undefined && a[k] !== null) out[k] = a[k]
  return JSON.parse(JSON.stringify(out)) as AlertDraft
}

export async function listAlerts(app: string): Promise<Alert[]> {
  return (await api.get<{ items: Alert[] }>(alertPaths.list(app))).items
}
export const getAlert = (app: string, id: number) => api.get<Alert>(alertPaths.alert(app, id))
export const createAlert = (app: string, d: AlertDraft) => api.post<Alert>(alertPaths.list(app), d)
export const updateAlert = (app: string, id: number, d: AlertDraft, version: number) => api.put<Alert>(alertPaths.alert(app, id), { ...d, version })
export const deleteAlert = (app: string, id: number) => api.del<void>(alertPaths.alert(app, id))
export const dryRun = (app: string, id: number) => api.post<DryRun>(alertPaths.check(app, id, true))
export const checkNow = (app: string, id: number) => api.post<AlertCheck>(alertPaths.check(app, id, false))
export async function listChecks(app: string, id: number, limit = 50): Promise<AlertCheck[]> {
  return (await api.get<{ items: AlertCheck[] }>(`${alertPaths.checks(app, id)}?limit=${limit}`)).items
}
