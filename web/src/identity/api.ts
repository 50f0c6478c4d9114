// One-ID (issue 21): the API's shapes and calls for match rules, the duplicates review queue, the
// "find duplicates" job, and merge / unmerge. Written against the contracts of the server parts
// (K: rules, suggestions, jobs; L: merges) so that switching to the generated `components`
// types of schema.d.ts changes this file only.
import { api } from '@/api/client'
import { paths } from '@/api/paths'

export type Compare = 'exact' | 'fuzzy'
export type RuleKind = 'exact' | 'combo'
export type RuleAction = 'suggest' | 'auto_merge'

/** One compared part of a rule: a field of the table, or a key field of the record the relation
 *  field ``via`` links to ("the VIN of the linked vehicle": field vin, via vehicle). ``field`` is
 *  null when the field was deleted since. */
export interface RulePart {
  field: string | null
  via: string | null
  compare: Compare
}

/** A match rule of a table: exact on one key, or a combination of parts with a threshold. */
export interface MatchRule {
  id: number
  name: string
  kind: RuleKind
  parts: RulePart[]
  threshold: number
  action: RuleAction
  enabled: boolean
  position: number
}
export type RuleDraft = Omit<MatchRule, 'id' | 'position'>

export type PairStatus = 'open' | 'later' | 'not_same' | 'merged' | 'auto'
export type Decision = 'open' | 'later' | 'not_same'

/** One record of a pair, with the values of the fields the rule compared (and the title). */
export interface PairRecord {
  id: number
  title: string
  values: Record<string, unknown>
}

/** Why two records look alike: per compared field both values and the part's score (0–100). */
export interface Evidence {
  field: string
  label: string
  a: unknown
  b: unknown
  score: number
}

/** A duplicate suggestion: two records of one table a rule found alike. */
export interface DuplicatePair {
  id: number
  score: number
  status: PairStatus
  rule: { id: number; name: string } | null
  record_a: PairRecord
  record_b: PairRecord
  evidence: Evidence[]
  created_at: string
}

export interface DuplicatePage {
  items: DuplicatePair[]
  total: number
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

/** A "find duplicates" run over the whole table: ``done`` of ``total`` records, pairs ``found``. */
export interface DuplicateJob {
  id: number
  status: JobStatus
  total: number | null
  done: number
  found: number
  error: string | null
  cancel_requested?: boolean
  created_at: string
  finished_at: string | null
}

/** Per field of a merge: both records' values, the value proposed and where it comes from
 *  (``origin``: survivor, loser, union, choice). ``merge``: ``value`` (one value survives: the
 *  user may pick when ``choosable``), ``links`` (relations united), ``rows`` (sub-form rows
 *  appended). */
export interface MergeField {
  key: string
  label: string
  type: string
  merge?: 'value' | 'links' | 'rows'
  survivor: unknown
  loser: unknown
  proposed: unknown
  origin: string
  choosable?: boolean
}

/** What a merge would do: the fields, and how many related records move (``kind``: links of
 *  ``table``, sub-form rows, comments, process instances, tasks). ``survivor`` / ``loser``: the
 *  versions read, sent back with the merge so a change since is refused (409). */
export interface MergePreview {
  survivor?: { id: number; version: number }
  loser?: { id: number; version: number }
  fields: MergeField[]
  related: { kind?: string; table: string | null; label: string; count: number }[]
}

/** Per field key: keep the survivor's or take the loser's value (or a value typed). */
export type Choice = 'survivor' | 'loser' | { value: unknown }

export interface Merge {
  id: number
  survivor_id: number
  loser_id: number
  status: 'merged' | 'unmerged'
  merged_at: string
  merged_by: number | null
  moved_counts: Record<string, number>
  unmerged_at?: string | null
  /** After an unmerge: what could not be moved back (deleted or re-linked since). */
  skipped?: Record<string, unknown>[] | null
}

const e = encodeURIComponent
export const identityPaths = {
  rules: (app: string, table: string) => `${paths.table(app, table)}/identity-rules`,
  rule: (app: string, table: string, id: number) => `${identityPaths.rules(app, table)}/${id}`,
  duplicates: (app: string, table: string) => `${paths.table(app, table)}/duplicates`,
  decision: (app: string, table: string, id: number) => `${identityPaths.duplicates(app, table)}/${id}/decision`,
  decisions: (app: string, table: string) => `${identityPaths.duplicates(app, table)}/decisions`,
  jobs: (app: string, table: string) => `${paths.table(app, table)}/duplicate-jobs`,
  job: (app: string, table: string, id: number) => `${identityPaths.jobs(app, table)}/${id}`,
  merges: (app: string, table: string) => `${paths.table(app, table)}/merges`,
  merge: (app: string, table: string, id: number) => `${identityPaths.merges(app, table)}/${id}`,
}

/** A list reply: a bare list or ``{items}``. */
const itemsOf = <T>(r: T[] | { items: T[] }): T[] => (Array.isArray(r) ? r : r.items)

export const identityApi = {
  rules: async (app: string, table: string) =>
    itemsOf(await api.get<MatchRule[] | { items: MatchRule[] }>(identityPaths.rules(app, table))),
  addRule: (app: string, table: string, rule: RuleDraft) => api.post<MatchRule>(identityPaths.rules(app, table), rule),
  updateRule: (app: string, table: string, id: number, change: Partial<MatchRule>) =>
    api.patch<MatchRule>(identityPaths.rule(app, table, id), change),
  deleteRule: (app: string, table: string, id: number) => api.del(identityPaths.rule(app, table, id)),

  duplicates: (app: string, table: string, status: PairStatus, limit: number, offset: number) =>
    api.get<DuplicatePage>(`${identityPaths.duplicates(app, table)}?status=${e(status)}&limit=${limit}&offset=${offset}`),
  decide: (app: string, table: string, id: number, decision: Decision) =>
    api.post<DuplicatePair>(identityPaths.decision(app, table, id), { decision }),
  decideMany: (app: string, table: string, ids: number[], decision: Decision) =>
    api.post<{ updated: number }>(identityPaths.decisions(app, table), { ids, decision }),

  startJob: (app: string, table: string) => api.post<DuplicateJob>(identityPaths.jobs(app, table)),
  job: (app: string, table: string, id: number) => api.get<DuplicateJob>(identityPaths.job(app, table, id)),
  /** The latest run of the table (null before the first). */
  latestJob: async (app: string, table: string): Promise<DuplicateJob | null> => {
    const r = await api.get<DuplicateJob | DuplicateJob[] | { items: DuplicateJob[] } | null>(identityPaths.jobs(app, table))
    if (!r) return null
    if (Array.isArray(r)) return r[0] ?? null
    if ('items' in r) return r.items[0] ?? null
    return r
  },
  cancelJob: (app: string, table: string, id: number) => api.post<DuplicateJob>(`${identityPaths.job(app, table, id)}/cancel`),

  preview: (app: string, table: string, survivorId: number, loserId: number) =>
    api.post<MergePreview>(`${identityPaths.merges(app, table)}/preview`, { survivor_id: survivorId, loser_id: loserId }),
  merge: (
    app: string,
    table: string,
    body: { survivor_id: number; loser_id: number; choices?: Record<string, Choice>; suggestion_id?: number | null; survivor_version?: number; loser_version?: number },
  ) =>
    api.post<Merge>(identityPaths.merges(app, table), body),
  merges: async (app: string, table: string, recordId: number) =>
    itemsOf(await api.get<Merge[] | { items: Merge[] }>(`${identityPaths.merges(app, table)}?record_id=${recordId}`)),
  unmerge: (app: string, table: string, id: number) => api.post<Merge>(`${identityPaths.merge(app, table, id)}/unmerge`),
}

/** A run that has not ended yet (the page polls it). */
export const jobActive = (job: DuplicateJob | null | undefined): boolean =>
  !!job && (job.status === 'queued' || job.status === 'running')

/** The number of pairs waiting for a decision (the grid toolbar's badge); null when the reader
 *  may not see them or the server has no queue. */
export async function openPairs(app: string, table: string): Promise<number | null> {
  try {
    return (await identityApi.duplicates(app, table, 'open', 1, 0)).total
  } catch {
    return null
  }
}
