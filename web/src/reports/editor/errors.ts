// The server's errors for the widget being edited, by location (``widget.dataset.measures.0.
// field``), shared with the editor's parts so each shows its own under its input; the ones no
// input claims are shown above the form.
import { inject, provide, type InjectionKey, type Ref } from 'vue'

export type Errors = Record<string, string[]>

/** Where each part of the form is (what it shows the errors at or under). */
export const PLACED = [
  'widget.type', 'widget.title', 'widget.settings',
  'widget.dataset.table', 'widget.dataset.dimensions', 'widget.dataset.columns',
  'widget.dataset.measures', 'widget.dataset.filter', 'widget.dataset.sort', 'widget.dataset.limit',
  'widget.kpi',
]

const under = (loc: string, at: string) => loc === at || loc.startsWith(`${at}.`)

/** The messages at ``at`` (and, with ``nested``, under it), in one line. */
export function messagesAt(errors: Errors, at: string | string[], nested = true): string {
  const ats = Array.isArray(at) ? at : [at]
  return Object.entries(errors)
    .filter(([loc]) => ats.some((a) => (nested ? under(loc, a) : loc === a)))
    .flatMap(([, m]) => m)
    .join('; ')
}

/** The errors no part of the form shows. */
export function unplaced(errors: Errors): string[] {
  return Object.entries(errors)
    .filter(([loc]) => !PLACED.some((p) => under(loc, p)))
    .flatMap(([loc, m]) => m.map((x) => (loc && loc !== 'body' && loc !== 'widget' ? `${loc}: ${x}` : x)))
}

const KEY: InjectionKey<Ref<Errors>> = Symbol('widget-editor-errors')
export const provideErrors = (errors: Ref<Errors>) => provide(KEY, errors)
export const useErrors = () => inject(KEY)!
