// The process engine's run-time API as the task inbox, the task page, the instance page and
// the record's processes panel use it (see /api/v1/tasks and /api/v1/process-instances).
import { api, ApiError } from '@/api/client'
import { V1 } from '@/api/paths'

const e = encodeURIComponent

export const runPaths = {
  tasks: () => `${V1}/tasks`,
  counts: () => `${V1}/tasks/counts`,
  task: (id: number) => `${V1}/tasks/${id}`,
  act: (id: number, action: string) => `${V1}/tasks/${id}/${e(action)}`,
  instance: (id: number) => `${V1}/process-instances/${id}`,
  diagram: (id: number) => `${V1}/process-instances/${id}/diagram`,
  processes: (app: string) => `${V1}/apps/${e(app)}/processes`,
  start: (app: string, key: string) => `${V1}/apps/${e(app)}/processes/${e(key)}/start`,
  recordProcesses: (app: string, table: string, id: number) => `${V1}/apps/${e(app)}/tables/${e(table)}/records/${id}/processes`,
}

export type Box = 'mine' | 'claimable' | 'overdue' | 'done'
export const BOXES: Box[] = ['mine', 'claimable', 'overdue', 'done']
export type Counts = Record<Box, number>

export interface ProcessRef {
  key: string
  name: string
  version?: number | null
}

/** A task as the inbox lists it. */
export interface TaskItem {
  id: number
  instance_id: number
  process: ProcessRef
  step: string
  name: string | null
  kind: string
  status: string
  assignee_id: number | null
  assignee?: string | null
  candidate: unknown
  due_at: string | null
  overdue: boolean
  overdue_seconds?: number | null
  created_at: string | null
  completed_at: string | null
  action: string | null
  app?: string | null
  table?: string | null
  table_id: number | null
  record_id: number | null
  record_title?: string | null
  escalation_level: number | null
  version: number
}

export interface TaskPage {
  items: TaskItem[]
  limit: number
  offset: number
  total?: number | null
}

export interface FormSetting {
  key: string
  access: string // "view" or "edit"
  required: boolean
}

/** One task with its step's form, the record as the step shows it and what may be done. */
export interface TaskDetail extends Omit<TaskItem, 'overdue' | 'table_id'> {
  comment: string | null
  sign: unknown
  form: FormSetting[]
  /** The table's form (a variant's key) whose layout and linkage rules the step follows. */
  form_variant?: string | null
  record: Record<string, any> | null
  returnable_steps: string[]
  return_targets?: { step: string; name: string | null }[]
  comment_required?: string[]
  actions: string[]
}

export interface TimelineStep {
  task_id: number
  step: string
  name: string | null
  kind: string
  assignee_id: number | null
  assignee: string | null
  status: string
  started_at: string | null
  ended_at: string | null
  duration_seconds: number
  due_at: string | null
  overdue: boolean
  escalation_level: number | null
  action: string | null
  comment: string | null
}

export interface TimelineEvent {
  id: number
  at: string
  action: string
  step: string | null
  name: string | null
  task_id: number | null
  actor_id: number | null
  actor: string | null
  comment: string | null
  details: Record<string, any>
}

export interface CurrentStep {
  task_id: number
  step: string
  name: string | null
  assignee?: string | null
  assignee_id?: number | null
  due_at?: string | null
  overdue?: boolean
}

export interface Instance {
  id: number
  process: ProcessRef
  app?: string | null
  table: string | null
  record_id: number | null
  record_title?: string | null
  status: string
  initiator_id: number | null
  initiator: string | null
  started_at: string | null
  ended_at: string | null
  reason: string | null
  incident: unknown
  current: CurrentStep[]
  steps?: TimelineStep[]
  events?: TimelineEvent[]
}

export interface Diagram {
  bpmn: string
  done: string[]
  current: string[]
  incident?: unknown
}

export interface RecordProcesses {
  items: Instance[]
  startable?: { key: string; name: string; version: number }[]
}

export interface InboxQuery {
  box: Box
  process?: string
  app?: string
  table?: string
  since?: string
  until?: string
  q?: string
  limit: number
  offset: number
}

export function inbox(q: InboxQuery): Promise<TaskPage> {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  return api.get<TaskPage>(`${runPaths.tasks()}?${p}`)
}

export const getTask = (id: number) => api.get<TaskDetail>(runPaths.task(id))
export const getInstance = (id: number) => api.get<Instance>(runPaths.instance(id))
export const getDiagram = (id: number) => api.get<Diagram>(runPaths.diagram(id))
export const act = (id: number, action: string, body: Record<string, unknown>) => api.post<Record<string, any>>(runPaths.act(id, action), body)

/** The holder a 409 on a claimable task names ("already taken by …"), if it does. */
export function holderOf(e: unknown): string | null {
  if (!(e instanceof ApiError) || e.status !== 409) return null
  const params = e.body.params as Record<string, unknown> | undefined
  const h = params?.holder
  return typeof h === 'string' && h ? h : null
}

/** "2h 15m", "3d 4h", "12m": how long, for people. */
export function spanOf(seconds: number, t: (k: string, p?: Record<string, unknown>) => string): string {
  const s = Math.max(0, Math.round(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d) return h ? `${t('tasks.span.d', { n: d })} ${t('tasks.span.h', { n: h })}` : t('tasks.span.d', { n: d })
  if (h) return m ? `${t('tasks.span.h', { n: h })} ${t('tasks.span.m', { n: m })}` : t('tasks.span.h', { n: h })
  return t('tasks.span.m', { n: Math.max(m, s ? 1 : 0) })
}

/** How late an open step is, by the server's clock (which a test clock may move ahead of the
 *  browser's): its start plus how long it has been open, against its due time. 0: not late. */
export function lateSeconds(s: Pick<TimelineStep, 'status' | 'due_at' | 'started_at' | 'duration_seconds'> | undefined): number {
  if (!s || s.status !== 'open' || !s.due_at || !s.started_at) return 0
  const now = Date.parse(s.started_at) + s.duration_seconds * 1000
  return Math.max(0, (now - Date.parse(s.due_at)) / 1000)
}
