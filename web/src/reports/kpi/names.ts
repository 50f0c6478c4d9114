// A KPI's name and definition: the server's, in the caller's language (``title``,
// ``definition``); from an older server without them, the page's own names and the KPI's
// description.
import type { KpiDef } from './api'

type T = (key: string) => string
type Te = (key: string) => boolean

export function kpiTitle(kpi: KpiDef, t: T, te: Te): string {
  if (kpi.title) return kpi.title
  return te(`reports.kpi.names.${kpi.key}`) ? t(`reports.kpi.names.${kpi.key}`) : kpi.key
}

export function kpiDefinition(kpi: KpiDef): string {
  return kpi.definition || kpi.description
}
