// The endpoints the builder reads besides the schema: its pickers' lists and the dry run its
// templates preview with. Each list is optional to the builder: a caller who may not read one
// (the channels are for administrators) gets the built-in choices instead.
import { api } from '@/api/client'
import { V1, paths } from '@/api/paths'
import type { Page } from '@/api/types'
import type { Named } from './context'
import { rulePaths } from '@/rules/api'
import type { RuleDraft } from './model'

const e = encodeURIComponent
export const builderPaths = {
  channels: () => `${V1}/channels`,
  processes: (app: string) => `${V1}/apps/${e(app)}/processes`,
}

/** Built-in channel kinds a rule may name without a configuration of its own. */
export const BUILTIN_CHANNELS = ['inapp', 'email', 'sms', 'wecom', 'dingtalk', 'wecom_app', 'dingtalk_app']

export async function loadChannels(): Promise<Named[]> {
  const out: Named[] = BUILTIN_CHANNELS.map((k) => ({ value: k, label: k }))
  try {
    const r = await api.get<{ items: { key: string; name: string; kind: string; enabled: boolean }[] }>(builderPaths.channels())
    for (const c of r.items) {
      const label = c.name && c.name !== c.key ? `${c.name} (${c.key})` : c.key
      const known = out.find((o) => o.value === c.key)
      if (known) known.label = label
      else out.push({ value: c.key, label })
    }
  } catch {
    /* not an administrator: the built-in kinds */
  }
  return out
}

export async function loadRoles(): Promise<Named[]> {
  try {
    return (await api.get<Page<{ key: string; name: string }>>(paths.roles())).items.map((r) => ({ value: r.key, label: r.name }))
  } catch {
    return []
  }
}

export async function loadProcesses(app: string): Promise<Named[]> {
  try {
    const r = await api.get<{ items: { key: string; name: string }[] }>(builderPaths.processes(app))
    return r.items.map((p) => ({ value: p.key, label: p.name || p.key }))
  } catch {
    return []
  }
}

/** One action of a dry run: what it would do (rendered messages, resolved recipients). */
export interface DryRunAction {
  index: number
  type: string
  would?: Record<string, any>
  error?: string
}
export interface DryRun {
  record_id: number
  condition: boolean | null
  would_run: boolean
  actions: DryRunAction[]
}

export function dryRun(app: string, rule: RuleDraft, recordId: number): Promise<DryRun> {
  return api.post<DryRun>(rulePaths.dryRun(app), { rule, record_id: recordId })
}
