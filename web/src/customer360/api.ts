// The customer 360° and screen-pop API (issue 22): paths and reply types, in one place.
import type { components } from '@/api/schema'
import { paths, V1 } from '@/api/paths'

type Schemas = components['schemas']
export type CustomerSummary = Schemas['CustomerSummary']
export type CustomerLookup = Schemas['CustomerLookup']
/** A lookup's match: a summary, and the related record it was found through (if any). */
export type CustomerMatch = Schemas['CustomerMatch']
export type Interaction = Schemas['Interaction']
export type InteractionPage = Schemas['InteractionPage']

export const KINDS = ['call', 'visit', 'email', 'meeting', 'login', 'order', 'other'] as const
export type Kind = (typeof KINDS)[number]

const e = encodeURIComponent
export const c360Paths = {
  summary: (app: string, table: string, id: number | string) => `${paths.record(app, table, id)}/360`,
  interactions: (app: string, table: string, id: number | string) => `${paths.record(app, table, id)}/interactions`,
  lookup: (key: string, value: string) => `${V1}/customers/lookup?${e(key)}=${e(value)}`,
}

/** Where opening a record goes: a record of the app's customer table opens its 360° page (the
 * record page stays reachable through "Details"); any other record its record page. */
export function recordPath(app: string, table: string, id: number | string, customerTable: string | null | undefined): string {
  const base = `/apps/${app}/tables/${table}/records/${id}`
  return customerTable && customerTable === table ? `${base}/360` : base
}
