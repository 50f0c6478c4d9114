export interface App {
  id: number
  key: string
  name: string
  description: string
  position: number
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

export interface Table {
  id: number
  key: string
  name: string
  description: string
  display_field: string | null
  position: number
  fields: Field[]
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
