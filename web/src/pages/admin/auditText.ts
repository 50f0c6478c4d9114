// How the audit page reads an entry: its action and target in words, and what changed.
//
// Action codes are `<prefix>.<verb>` (record.update, table.create, task.approve). A code is
// translated by the first of:
//   1. `audit.actions.<prefix>.<verb>` in web/src/i18n/{zh-CN,en}.json (every code the server
//      writes has one; tests/test_audit_i18n.py checks it);
//   2. `audit.verbs.<verb>` with `audit.targets.<prefix>` (so a new `<thing>.create`, `.update`,
//      `.delete` … reads well before it gets an entry of its own);
//   3. the code itself.
import type { AuditEntry } from '@/api/types'

type T = (key: string, values?: Record<string, unknown>) => string
type Te = (key: string) => boolean

export function actionText(code: string, t: T, te: Te): string {
  const dot = code.indexOf('.')
  if (dot <= 0) return code
  const prefix = code.slice(0, dot)
  const verb = code.slice(dot + 1)
  if (te(`audit.actions.${prefix}.${verb}`)) return t(`audit.actions.${prefix}.${verb}`)
  if (te(`audit.verbs.${verb}`) && te(`audit.targets.${prefix}`)) {
    return t('audit.verb_target', { verb: t(`audit.verbs.${verb}`), target: t(`audit.targets.${prefix}`) })
  }
  return code
}

export function targetTypeText(type: string | null, t: T, te: Te): string {
  if (!type) return ''
  return te(`audit.targets.${type}`) ? t(`audit.targets.${type}`) : type
}

/** What names the target: a record's title (else its id), a user's name, a key or name the
 *  entry's details carry, else the target id. */
export function targetName(e: AuditEntry, t: T, userName: (id: number) => string | undefined): string {
  if (e.target_type === 'record') {
    return e.target_title ?? (e.target_id ? t('audit.record_n', { id: e.target_id }) : '')
  }
  if (e.target_type === 'table') return e.table_name ?? (e.target_id ? `#${e.target_id}` : '')
  if (e.target_type === 'user' && e.target_id && /^\d+$/.test(e.target_id)) {
    const name = userName(Number(e.target_id))
    if (name) return name
  }
  const d = isObject(e.details) ? e.details : {}
  for (const k of ['name', 'key', 'username']) {
    if (typeof d[k] === 'string' && d[k]) return d[k] as string
  }
  return e.target_id ? `#${e.target_id}` : ''
}

export interface Change {
  key: string
  before: unknown
  after: unknown
}

/** The changes an entry carries, one row a key: `details.before` / `details.after` (objects;
 *  only the keys whose values differ), or `details.changes` as `{key: [before, after]}`. */
export function changesOf(details: unknown): Change[] {
  if (!isObject(details)) return []
  const { before, after, changes } = details
  if ('before' in details || 'after' in details) {
    if (isObject(before) || isObject(after)) {
      const b = isObject(before) ? before : {}
      const a = isObject(after) ? after : {}
      const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])]
      return keys
        .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
        .map((k) => ({ key: k, before: b[k], after: a[k] }))
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ key: '', before, after }]
  }
  if (isObject(changes)) {
    return Object.entries(changes).map(([key, v]) =>
      Array.isArray(v) && v.length === 2 ? { key, before: v[0], after: v[1] } : { key, before: undefined, after: v },
    )
  }
  return []
}

/** A value as one readable line (the page shows it as text, never as HTML). */
export function valueText(v: unknown, empty: string): string {
  if (v === null || v === undefined || v === '') return empty
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
