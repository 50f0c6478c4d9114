// Tags (issue 22): an app's vocabulary and the tags on records. The shapes are the generated ones
// of schema.d.ts; the vocabulary of each app is kept here once loaded (the tag bar, the filter
// builder and the rule builder share it) and reloaded after a change.
import { reactive } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Tag = Schemas['Tag']
export type AppliedTag = Schemas['AppliedTag']
export type RecordTags = Schemas['RecordTags']
export type TagDraft = { name: string; colour: string; group: string; description: string }

/** The pseudo-field of a filter condition on a record's tags, and its operators. */
export const TAGS_FIELD = '_tags'
export const TAG_OPS = ['has_any', 'has_all', 'has_none', 'is_empty', 'is_not_empty']

/** The named colours (the server's palette) and how they are drawn. */
export const PALETTE: Record<string, string> = {
  blue: '#1677ff',
  green: '#389e0d',
  orange: '#d46b08',
  red: '#cf1322',
  purple: '#531dab',
  cyan: '#08979c',
  magenta: '#c41d7f',
  gold: '#d48806',
  gray: '#595959',
}
export const colourOf = (c: string): string => PALETTE[c] ?? c

export const tagPaths = {
  tags: (app: string) => `${paths.app(app)}/tags`,
  tag: (app: string, id: number) => `${tagPaths.tags(app)}/${id}`,
  record: (app: string, table: string, id: number) => `${paths.record(app, table, id)}/tags`,
  apply: (app: string, table: string) => `${paths.table(app, table)}/tags/apply`,
}

export const tagsApi = {
  list: async (app: string) => (await api.get<{ items: Tag[] }>(tagPaths.tags(app))).items,
  create: (app: string, draft: Partial<TagDraft>) => api.post<Tag>(tagPaths.tags(app), draft),
  update: (app: string, id: number, draft: Partial<TagDraft>) => api.patch<Tag>(tagPaths.tag(app, id), draft),
  remove: (app: string, id: number) => api.del<{ id: number; removed: number }>(tagPaths.tag(app, id)),
  ofRecord: (app: string, table: string, id: number) => api.get<RecordTags>(tagPaths.record(app, table, id)),
  add: (app: string, table: string, id: number, tagId: number) =>
    api.post<RecordTags>(tagPaths.record(app, table, id), { tag_id: tagId }),
  drop: (app: string, table: string, id: number, tagId: number) =>
    api.del<RecordTags>(`${tagPaths.record(app, table, id)}/${tagId}`),
  apply: (app: string, table: string, ids: number[], add: number[], remove: number[] = []) =>
    api.post<{ updated: number; ids: number[] }>(tagPaths.apply(app, table), { ids, add, remove }),
}

const vocabularies = reactive<Record<string, Tag[] | undefined>>({})
const loading: Record<string, Promise<Tag[]> | undefined> = {}

/** The app's tags (loaded once; ``fresh`` reloads). A member who may not read them gets []. */
export async function loadTags(app: string, fresh = false): Promise<Tag[]> {
  if (!fresh && vocabularies[app]) return vocabularies[app]!
  if (!fresh && loading[app]) return loading[app]!
  const p = tagsApi.list(app).catch(() => [] as Tag[])
  loading[app] = p
  const items = await p
  vocabularies[app] = items
  loading[app] = undefined
  return items
}
/** The app's tags as loaded so far (reactive; [] before ``loadTags``). */
export const tagsOf = (app: string): Tag[] => vocabularies[app] ?? []

/** Tags grouped for a picker: groups in the vocabulary's order, "" (no group) first. */
export function grouped(tags: Tag[]): { group: string; tags: Tag[] }[] {
  const out: { group: string; tags: Tag[] }[] = []
  for (const t of tags) {
    let g = out.find((x) => x.group === t.group)
    if (!g) out.push((g = { group: t.group, tags: [] }))
    g.tags.push(t)
  }
  return out
}
