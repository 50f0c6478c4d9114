// Record imports (issue 21): the API's shapes and calls, for the import wizard.
import { api, ApiError, cookie, uploadWithProgress } from '@/api/client'
import { paths } from '@/api/paths'
import type { components } from '@/api/schema'
import { i18n } from '@/i18n'

type Schemas = components['schemas']
/** An import: its file, settings and progress (rows done of total, rate, time left). */
export type ImportJob = Schemas['ImportJob']
/** An uploaded file: the job, its first rows, a suggested field per column, saved mappings. */
export type ImportPreview = Schemas['ImportPreview']
export type ImportMapping = Schemas['ImportMapping']
/** A field a column may fill, as the caller may write it (the API's own rule). */
export type ImportField = Schemas['ImportField']
export type ImportCounts = Schemas['ImportCounts']
export type ImportMode = 'insert' | 'upsert' | 'update' | 'match'
export type Phase = 'dry_run' | 'run'

/** How to import: a field key or null (skip) per column, in the file's order. */
export interface ImportSettings {
  mapping: (string | null)[]
  mode: ImportMode
  key: string | null
  run_rules: boolean
  /** A column of tag names ("_tags") creates the names the app lacks. */
  create_missing_tags?: boolean
}

/** One row's outcome in a phase's report (the first rows of the file). */
export interface RowOutcome {
  row: number
  outcome: 'created' | 'updated' | 'skipped' | 'refused'
  reason?: string | null
}

const e = encodeURIComponent
export const importPaths = {
  imports: (app: string, table: string) => `${paths.table(app, table)}/imports`,
  job: (app: string, table: string, id: number) => `${importPaths.imports(app, table)}/${id}`,
  errors: (app: string, table: string, id: number, phase: Phase) =>
    `${importPaths.job(app, table, id)}/errors.csv?phase=${e(phase)}`,
  mappings: (app: string, table: string) => `${paths.table(app, table)}/import-mappings`,
  mapping: (app: string, table: string, id: number) => `${importPaths.mappings(app, table)}/${id}`,
}

export const importsApi = {
  upload: (app: string, table: string, file: File, onProgress: (p: number) => void) =>
    uploadWithProgress<ImportPreview>(importPaths.imports(app, table), file, onProgress),
  reshape: (app: string, table: string, id: number, sheet: string | null, headerRows: number) =>
    api.post<ImportPreview>(`${importPaths.job(app, table, id)}/source`, { sheet, header_rows: headerRows }),
  list: async (app: string, table: string) =>
    (await api.get<Schemas['ImportJobList']>(importPaths.imports(app, table))).items,
  get: (app: string, table: string, id: number) => api.get<ImportJob>(importPaths.job(app, table, id)),
  start: (app: string, table: string, id: number, phase: Phase, body: ImportSettings) =>
    api.post<ImportJob>(`${importPaths.job(app, table, id)}/${phase === 'run' ? 'run' : 'dry-run'}`, body),
  cancel: (app: string, table: string, id: number) => api.post<ImportJob>(`${importPaths.job(app, table, id)}/cancel`),
  mappings: async (app: string, table: string) =>
    (await api.get<Schemas['ImportMappingList']>(importPaths.mappings(app, table))).items,
  saveMapping: (app: string, table: string, name: string, mapping: Record<string, string | null>) =>
    api.post<ImportMapping>(importPaths.mappings(app, table), { name, mapping }),
}

/** A job that has not ended yet (the page polls it). */
export const isActive = (job: ImportJob | null | undefined): boolean =>
  !!job && (job.status === 'queued' || job.status === 'running')

/** The first rows' outcomes of a phase, as the job's report holds them. */
export function outcomesOf(job: ImportJob | null | undefined, phase: Phase): RowOutcome[] {
  const part = (job?.report as Record<string, { rows?: RowOutcome[] }> | undefined)?.[phase]
  return Array.isArray(part?.rows) ? part.rows : []
}

/** Save the refused rows (CSV with a reason column) through the browser's own download, in the
 *  UI's language (a plain link would send the browser's). */
export async function downloadErrors(app: string, table: string, id: number, phase: Phase): Promise<string> {
  const headers: Record<string, string> = { 'Accept-Language': String(i18n.global.locale.value) }
  const token = cookie('cairn_csrf')
  if (token) headers['X-CSRF-Token'] = token
  const res = await fetch(importPaths.errors(app, table, id, phase), { headers, credentials: 'same-origin' })
  if (!res.ok) {
    const ctype = res.headers.get('content-type') ?? ''
    throw new ApiError(res.status, ctype.includes('json') ? await res.json() : { detail: await res.text() })
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `import-${id}-errors.csv`
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
