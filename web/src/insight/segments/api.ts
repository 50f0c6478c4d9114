// Segments (issue 22): the API's shapes (generated, schema.d.ts) and calls for dynamic and static
// segments, their members, membership history, counts over time, and a record's segments.
import { api } from '@/api/client'
import { paths, V1 } from '@/api/paths'
import type { components } from '@/api/schema'
import type { FilterNode } from '@/api/types'

type Schemas = components['schemas']
export type SegmentKind = 'dynamic' | 'static'
export type Refresh = 'hourly' | 'daily' | null
export type Segment = Omit<Schemas['Segment'], 'kind' | 'refresh'> & { kind: SegmentKind; refresh: Refresh }
export type SegmentDraft = Schemas['SegmentBody']
export type SegmentMember = Schemas['SegmentMember']
export type SegmentChange = Schemas['SegmentChange']
export type SegmentDay = Schemas['SegmentDay']
export type RecordSegment = Schemas['RecordSegment']
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

const e = encodeURIComponent
export const segmentPaths = {
  list: (app: string) => `${V1}/apps/${e(app)}/segments`,
  one: (app: string, id: number) => `${segmentPaths.list(app)}/${id}`,
  record: (app: string, table: string, id: number) => `${paths.table(app, table)}/records/${id}/segments`,
}

export const segmentsApi = {
  list: async (app: string) => (await api.get<{ items: Segment[] }>(segmentPaths.list(app))).items,
  get: (app: string, id: number) => api.get<Segment>(segmentPaths.one(app, id)),
  create: (app: string, body: SegmentDraft) => api.post<Segment>(segmentPaths.list(app), body),
  update: (app: string, id: number, body: Partial<SegmentDraft>) => api.patch<Segment>(segmentPaths.one(app, id), body),
  remove: (app: string, id: number) => api.del(segmentPaths.one(app, id)),
  preview: (app: string, table: string, filter: FilterNode | null) =>
    api.post<{ count: number; time_based: boolean }>(`${segmentPaths.list(app)}/preview`, { table, filter }),
  evaluate: (app: string, id: number) => api.post<Segment & { entered?: number; left?: number }>(`${segmentPaths.one(app, id)}/evaluate`),
  freeze: (app: string, id: number, name?: string) => api.post<Segment>(`${segmentPaths.one(app, id)}/freeze`, { name: name || null }),
  addMembers: (app: string, id: number, ids: number[]) => api.post<Segment>(`${segmentPaths.one(app, id)}/members`, { ids }),
  removeMembers: (app: string, id: number, ids: number[]) => api.del<Segment>(`${segmentPaths.one(app, id)}/members?${ids.map((i) => `ids=${i}`).join('&')}`),
  members: (app: string, id: number, limit = 50, offset = 0) =>
    api.get<Page<SegmentMember>>(`${segmentPaths.one(app, id)}/members?limit=${limit}&offset=${offset}`),
  history: (app: string, id: number, limit = 50, offset = 0) =>
    api.get<Page<SegmentChange>>(`${segmentPaths.one(app, id)}/history?limit=${limit}&offset=${offset}`),
  counts: async (app: string, id: number) => (await api.get<{ items: SegmentDay[] }>(`${segmentPaths.one(app, id)}/counts`)).items,
  ofRecord: async (app: string, table: string, id: number) => (await api.get<{ items: RecordSegment[] }>(segmentPaths.record(app, table, id))).items,
}

/** The editor's condition: the filter builder's tree and an optional formula ANDed with it (for
 *  what the builder has no operator for: "DAYS(TODAY(), {last_contact}) > 90", aggregates). */
export function splitFormula(node: FilterNode | null | undefined): { tree: FilterNode | null; formula: string } {
  const n = node as Record<string, any> | null | undefined
  if (!n) return { tree: null, formula: '' }
  if (typeof n.formula === 'string') return { tree: null, formula: n.formula }
  if (Array.isArray(n.and)) {
    const f = n.and.find((x: any) => typeof x?.formula === 'string')
    if (f) {
      const rest = n.and.filter((x: any) => x !== f)
      return { tree: rest.length === 0 ? null : rest.length === 1 ? rest[0] : { and: rest }, formula: f.formula }
    }
  }
  return { tree: n as FilterNode, formula: '' }
}

export function joinFormula(tree: FilterNode | null, formula: string): FilterNode | null {
  const f = formula.trim()
  if (!f) return tree
  const node = { formula: f } as unknown as FilterNode
  return tree ? ({ and: [tree, node] } as unknown as FilterNode) : node
}
