// One-ID (issue 21): the API's shapes and calls for match rules, the duplicates review queue, the
// "find duplicates" job, and merge / unmerge. The shapes are the generated ones of schema.d.ts;
// only the codes the document leaves as plain strings (kinds, statuses) are narrowed here to the
// values the server writes.
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Compare = 'exact' | 'fuzzy'
export type RuleKind = 'exact' | 'combo'
export type RuleAction = 'suggest' | 'auto_merge'

/** One compared part of a rule: a field of the table, or a key field of the record the relation
 *  field ``via`` links to ("the VIN of the linked vehicle": field vin, via vehicle). ``field`` is
 *  null when the field was deleted since. */
export type RulePart = Omit<Schemas['IdentityRulePart'], 'compare'> & { compare: Compare }

/** A match rule of a table: exact on one key, or a combination of parts with a threshold. */
export type MatchRule = Omit<Schemas['IdentityRule'], 'kind' | 'action' | 'parts'> & {
  kind: RuleKind
  action: RuleAction
  parts: RulePart[]
}
/** A rule as written (new, or its changes). */
export type RuleDraft = Schemas['IdentityRuleBody']

export type PairStatus = 'open' | 'later' | 'not_same' | 'merged' | 'auto'
export type Decision = Schemas['DecisionBody']['decision']

/** One record of a pair, with the values of the fields the rule compared (and the title). */
export type PairRecord = Schemas['DuplicateRecord']
/** Why two records look alike: per compared field both values and the part's score (0–100). */
export type Evidence = Schemas['MatchEvidence']
/** A duplicate suggestion: two records of one table a rule found alike. */
export type DuplicatePair = Omit<Schemas['Duplicate'], 'status'> & { status: PairStatus }
export type DuplicatePage = Omit<Schemas['DuplicateList'], 'items'> & { items: DuplicatePair[] }

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'
/** A "find duplicates" run over the whole table: ``done`` of ``total`` records, pairs ``found``
 *  (``cancel_requested``: when the server says so). */
export type DuplicateJob = Omit<Schemas['DuplicateJob'], 'status'> & { status: JobStatus; cancel_requested?: boolean }

/** Per field of a merge: both records' values, the value proposed and where it comes from;
 *  ``merge``: ``value`` (one value survives: the user may pick when ``choosable``), ``links``
 *  (relations united), ``rows`` (sub-form rows appended). */
export type MergeField = Schemas['MergeFieldPreview']
/** What a merge would do: the fields, how many related records move, and the versions read (sent
 *  back with the merge so a change since is refused with 409). */
export type MergePreview = Schemas['MergePreview']
/** Per field key: keep the survivor's or take the loser's value (or a value typed). */
export type Choice = 'survivor' | 'loser' | { value: unknown }
/** A merge (or an undone one): who survived, what moved, what an unmerge could not move back. */
export type Merge = Schemas['MergePublic']

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

export const identityApi = {
  rules: async (app: string, table: string) =>
    (await api.get<{ items: MatchRule[] }>(identityPaths.rules(app, table))).items,
  addRule: (app: string, table: string, rule: RuleDraft) => api.post<MatchRule>(identityPaths.rules(app, table), rule),
  updateRule: (app: string, table: string, id: number, change: Schemas['IdentityRulePatch']) =>
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
  latestJob: async (app: string, table: string): Promise<DuplicateJob | null> =>
    (await api.get<{ items: DuplicateJob[] }>(identityPaths.jobs(app, table))).items[0] ?? null,
  cancelJob: (app: string, table: string, id: number) => api.post<DuplicateJob>(`${identityPaths.job(app, table, id)}/cancel`),

  preview: (app: string, table: string, survivorId: number, loserId: number) =>
    api.post<MergePreview>(`${identityPaths.merges(app, table)}/preview`, { survivor_id: survivorId, loser_id: loserId }),
  merge: (
    app: string,
    table: string,
    body: Omit<Schemas['MergeCreate'], 'choices'> & { choices?: Record<string, Choice> },
  ) =>
    api.post<Merge>(identityPaths.merges(app, table), body),
  merges: async (app: string, table: string, recordId: number) =>
    (await api.get<Schemas['MergeList']>(`${identityPaths.merges(app, table)}?record_id=${recordId}`)).items,
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
