export interface App {
  id: number
  key: string
  name: string
  description: string
  position: number
  /** What the signed-in user may do with the app (manage: tables, 360° settings, …). */
  permissions?: AppPermissions
}

export interface AppPermissions {
  manage: boolean
}

/** What the signed-in user may do with a table and its records, as the API says. */
export interface TablePermissions {
  create: boolean
  read: boolean
  update: boolean
  delete: boolean
  export: boolean
  manage: boolean
}

/** What the signed-in user may do beyond apps and tables. */
export interface GlobalPermissions {
  admin: boolean
  create_apps: boolean
}

export interface Choice {
  id?: string
  value: string
  color?: string | null
}

export interface Field {
  id: number
  key: string
  name: string
  type: string
  options: Record<string, any>
  required: boolean
  unique: boolean
  default: unknown
  help_text: string
  position: number
}

/** A form layout: sections of rows of 1 to 3 cells, each a field key or null (an empty cell). */
export interface LayoutSection {
  title: string
  collapsed: boolean
  rows: (string | null)[][]
}

export interface Layout {
  sections: LayoutSection[]
}

export interface Table {
  id: number
  key: string
  name: string
  description: string
  display_field: string | null
  position: number
  fields: Field[]
  /** The layout forms show: the table's own, with the fields it does not place after it. */
  layout?: Layout
  permissions?: TablePermissions
}

export type RecordData = Record<string, any> & { id: number; version: number }

export interface RecordsPage {
  items: RecordData[]
  next_cursor: string | null
  total: number | null
}

export interface HistoryChange {
  field: string
  name: string
  before: unknown
  after: unknown
}

export interface HistoryEntry {
  id: number
  version: number
  action: string
  at: string
  actor_id: number | null
  changes: HistoryChange[]
}

export interface User {
  id: number
  username: string
  display_name: string
  email: string | null
  mobile: string | null
  is_admin: boolean
  department_id: number | null
}

export type FilterNode =
  | { and: FilterNode[] }
  | { or: FilterNode[] }
  | { field: string; op: string; value?: unknown }

export interface SortKey {
  field: string
  direction: 'asc' | 'desc'
}

export interface UserFull extends User {
  status: 'active' | 'disabled' | string
  language: string | null
  department_ids?: number[]
  roles?: string[]
  last_login_at?: string | null
}

export interface Department {
  id: number
  name: string
  parent_id: number | null
  manager_id: number | null
  position: number
}

export type FieldAccess = 'hidden' | 'masked' | 'read_only'

export interface RoleTable {
  app: string
  table: string
  actions: string[]
  row_scope: string
  row_filter: FilterNode | null
  fields: Record<string, FieldAccess>
}

export interface Role {
  id: number
  key: string
  name: string
  description: string
  manages_apps: string[]
  tables: RoleTable[]
  members: number[]
}

export interface ApiToken {
  id: number
  user_id: number
  name: string
  prefix: string
  read_only: boolean
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
}

export interface AuditEntry {
  id: number
  at: string
  actor_id: number | null
  actor_name: string | null
  channel: string | null
  address: string | null
  action: string
  target_type: string | null
  target_id: string | null
  app_id: number | null
  table_id: number | null
  /** Names resolved by the server (also of a deleted app, table or record). */
  app_name: string | null
  table_name: string | null
  /** The title (display field) of the record the entry names; null for other targets. */
  target_title: string | null
  details: unknown
  hash: string
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
  total: number | null
}

export interface Comment {
  id: number
  record_id: number
  author_id: number | null
  author: { id: number; username: string; display_name: string } | null
  body: string
  mentions: number[]
  created_at: string
  /** In the reply to a new comment: mentioned users who may not read the record (no notice). */
  not_notified?: string[]
}

export interface Notification {
  id: number
  title: string
  body: string
  link: string | null
  app_id: number | null
  table_id: number | null
  record_id: number | null
  created_at: string
  read_at: string | null
  read: boolean
}

/** What a saved grid view restores (``filter`` and ``sort`` as in a records query). */
export interface ViewConfig {
  filter: FilterNode | null
  sort: SortKey[] | null
  columns: { key: string; visible: boolean }[]
  widths: Record<string, number>
}

export interface GridView {
  id: number
  name: string
  shared: boolean
  owner_id: number
  mine: boolean
  editable: boolean
  config: ViewConfig
  version: number
  updated_at: string
}
