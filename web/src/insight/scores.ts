// Score models (issue 22): the API's shapes and calls for the models of an app, their preview,
// and a record's scores with their "why". The shapes are the generated ones of schema.d.ts.
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Band = 'green' | 'amber' | 'red'
export type ScoreModel = Schemas['ScoreModel']
export type ScoreModelDraft = Schemas['ScoreModelBody']
export type ScoreInputDraft = Schemas['ScoreInputBody']
export type ScorePreview = Schemas['ScorePreview']
export type RecordScore = Schemas['RecordScore']
export type Contribution = Schemas['ScoreContribution']

export const scorePaths = {
  models: (app: string) => `${paths.app(app)}/score-models`,
  model: (app: string, id: number) => `${scorePaths.models(app)}/${id}`,
  record: (app: string, table: string, id: number) => `${paths.record(app, table, id)}/score`,
}

export const scoresApi = {
  models: async (app: string) => (await api.get<{ items: ScoreModel[] }>(scorePaths.models(app))).items,
  create: (app: string, draft: ScoreModelDraft) => api.post<ScoreModel>(scorePaths.models(app), draft),
  update: (app: string, id: number, draft: Partial<ScoreModelDraft>) => api.patch<ScoreModel>(scorePaths.model(app, id), draft),
  remove: (app: string, id: number) => api.del(scorePaths.model(app, id)),
  compute: (app: string, id: number) => api.post<Schemas['ScoreRun']>(`${scorePaths.model(app, id)}/compute`),
  preview: (app: string, draft: ScoreModelDraft, sample = 1000) =>
    api.post<ScorePreview>(`${scorePaths.models(app)}/preview`, { ...draft, sample }),
  ofRecord: async (app: string, table: string, id: number) =>
    (await api.get<{ items: RecordScore[] }>(scorePaths.record(app, table, id))).items,
}

/** The colour of a band (Element Plus' success / warning / danger). */
export const BAND_COLORS: Record<Band, string> = { green: '#67c23a', amber: '#e6a23c', red: '#f56c6c' }
export const bandColor = (band: string) => BAND_COLORS[(band as Band)] ?? '#909399'

/** A new input with the settings most often wanted. */
export function newInput(n: number): ScoreInputDraft {
  return {
    key: `input_${n}`,
    label: '',
    formula: '',
    explain: '',
    normalise: { thresholds: [[30, 100], [90, 50], [null, 0]] },
    weight: 1,
  }
}

/** A contribution as the "why" lists it: "−18: no visit for 140 days". */
export function impactText(c: Contribution): string {
  const n = Math.round(c.impact)
  return `${n < 0 ? '−' : n > 0 ? '+' : '±'}${Math.abs(n)}`
}

// -- the learned churn model ------------------------------------------------------------------
export type ScoreLearned = Schemas['ScoreLearned']
export type ScoreTraining = Schemas['ScoreTraining']

export const learnedApi = {
  model: (app: string, id: number) => api.get<ScoreModel>(scorePaths.model(app, id)),
  train: (app: string, id: number, churnField: string) =>
    api.post<ScoreTraining>(`${scorePaths.model(app, id)}/train`, { churn_field: churnField }),
  use: (app: string, id: number, on: boolean) => api.post<ScoreModel>(`${scorePaths.model(app, id)}/learned`, { on }),
}

/** How an AUC reads: 0.5 is chance, at least 0.7 useful, at least 0.8 strong. */
export function aucReading(auc: number): 'chance' | 'weak' | 'useful' | 'strong' {
  if (auc >= 0.8) return 'strong'
  if (auc >= 0.7) return 'useful'
  if (auc > 0.55) return 'weak'
  return 'chance'
}
