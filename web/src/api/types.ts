// The API's shapes, as the OpenAPI document states them: aliases of the types that
// openapi-typescript generates into schema.d.ts (`make api-types`; never edit that file).
// Only what the document leaves free-form (saved filters, sorts, view configs) is written here.

import type { LinkageJSON } from '@/formula/linkage'
import type { components } from './schema'

type Schemas = components['schemas']

export type App = Schemas['App']
export type AppPermissions = Schemas['AppPermissions']
/** What the signed-in user may do with a table and its records, as the API says. */
export type TablePermissions = Schemas['TablePermissions']
/** What the signed-in user may do beyond apps and tables. */
export type GlobalPermissions = Schemas['GlobalPermissions']
/** A field; its `options` depend on its type (choices, decimals, currency, target table, …). */
export type Field = Omit<Schemas['Field'], 'options'> & { options: Record<string, any> }
/** The number an auto-number field's next record would get (the settings' preview). */
export type NumberPreview = Schemas['NumberPreview']
/** A form layout: sections of rows of 1 to 3 cells, each a field key or null (an empty cell). */
export type LayoutSection = Schemas['FormLayoutSection']
export type Layout = Schemas['FormLayout']
/** A form of a table (its default form, or a variant) with its rules as the browser runs them
 *  (``linkage``: typed syntax trees, see web/src/formula). */
export type Form = Omit<Schemas['Form'], 'linkage'> & { linkage: LinkageJSON }
export type FormList = Schemas['FormList']
export type FormSummary = Schemas['FormSummary']
/** A linkage rule of a form and one of its actions, as users write them (field keys). */
export type FormRule = Schemas['FormRule']
export type FormAction = Schemas['FormAction']
export type RecordDefaults = Schemas['RecordDefaults']
export type Table = Omit<Schemas['Table'], 'fields'> & { fields: Field[] }

/** A record: `id`, `version` and the values by field key (any type a field holds). */
export type RecordData = Record<string, any> & Schemas['Record']

export type RecordsPage = Omit<Schemas['RecordsPage'], 'items'> & { items: RecordData[] }

export type HistoryChange = Schemas['HistoryChange']
export type HistoryEntry = Schemas['HistoryEntry']

/** One function of the formula language (the formula inputs' help). */
export type FormulaFunction = Schemas['FormulaFunction']

export type User = Schemas['UserProfile']
export type UserFull = Schemas['UserFull']
export type Department = Schemas['Department']
export type RoleTable = Omit<Schemas['RoleTable'], 'row_filter' | 'fields'> & {
  row_filter: FilterNode | null
  fields: Record<string, FieldAccess>
}
export type Role = Omit<Schemas['Role'], 'tables'> & { tables: RoleTable[] }
export type ApiToken = Schemas['ApiToken']
export type AuditEntry = Schemas['AuditEntry']
export type Comment = Schemas['Comment']
export type Notification = Schemas['Notification']
export type GridView = Omit<Schemas['GridView'], 'config'> & { config: ViewConfig }

/** The list replies: a page of items (`next_cursor` null on the last page). */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
  total: number | null
}

export type FilterNode =
  | { and: FilterNode[] }
  | { or: FilterNode[] }
  | { not: FilterNode }
  | { formula: string }
  | { field: string; op: string; value?: unknown }

export interface SortKey {
  field: string
  direction: 'asc' | 'desc'
}

export type FieldAccess = 'hidden' | 'masked' | 'read_only'

/** What a saved grid view restores (``filter`` and ``sort`` as in a records query). */
export interface ViewConfig {
  filter: FilterNode | null
  sort: SortKey[] | null
  columns: { key: string; visible: boolean }[]
  widths: Record<string, number>
}

/** The administrators' list of process instances (GET /process-instances) and its rows. */
export type ProcessInstancePage = Schemas['ProcessInstanceList']
export type ProcessInstanceRow = Schemas['ProcessInstanceItem']
/** An open step of an instance: assignee, deadline, and how late (`overdue_seconds`). */
export type ProcessCurrentStep = Schemas['CurrentStep']
/** What stopped an instance in status `error`: the failed element (`step`) and the error. */
export type ProcessIncident = Schemas['Incident'] & { name?: string | null }
export type ReassignResult = Schemas['ReassignResult']

/** A directory sync from WeCom / DingTalk and its report (nothing deleted: `report.missing`). */
export type DirectorySyncRun = Schemas['DirectorySyncRun']
export type SyncReport = Schemas['SyncReport']

/** A table's indexes (administrators): declared and automatic ones (why, size, last use), and
 *  recent query shapes with the index that serves each or why none does. */
export type TableIndexes = Schemas['TableIndexes']
export type TableIndex = Schemas['TableIndex']
export type IndexedQuery = Schemas['IndexedQuery']
export type IndexShape = Schemas['IndexShape']
