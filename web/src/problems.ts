// Field errors from the API (problem+json) and from the client-side checks, keyed by field key,
// and what a refused save shows.
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'

/** "options.choices.0.value" → "options"; "fields.2.key" stays; "phone" stays. */
export function fieldErrorsOf(e: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (e instanceof ApiError) for (const [k, v] of Object.entries(e.fieldErrors)) out[k] = v.join(' ')
  return out
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) {
    const first = Object.values(e.fieldErrors).flat()[0]
    return first ? `${e.detail} ${first}` : e.detail
  }
  return String(e)
}

/** What a refused save was: a version conflict, errors shown at their inputs, or anything else. */
export type Refusal = 'stale' | 'invalid' | 'other'

export interface RefusalHandlers {
  /** What is said of a version conflict (409: saved elsewhere since it was read); nothing, without
   *  it (the caller shows the item as it is now). */
  stale?: string
  /** A refusal (422): put its errors at their inputs; the errors it put there. */
  invalid?: (e: ApiError) => Record<string, string>
  /** What is said of a refusal (without it: nothing when the inputs show its errors, else its
   *  message). */
  fix?: string
}

/** What a refused save shows, the same in every editor that saves an item with its version: a
 *  conflict says ``stale``; a refusal puts its errors at the inputs (``invalid``) and says ``fix``;
 *  anything else says its message. What it was, for what the caller does next. */
export function showRefusal(e: unknown, on: RefusalHandlers = {}): Refusal {
  if (e instanceof ApiError && e.status === 409) {
    if (on.stale) ElMessage.error(on.stale)
    return 'stale'
  }
  if (e instanceof ApiError && e.status === 422 && on.invalid) {
    const shown = on.invalid(e)
    const say = on.fix ?? (Object.keys(shown).length ? null : messageOf(e))
    if (say) ElMessage.error(say)
    return 'invalid'
  }
  ElMessage.error(messageOf(e))
  return 'other'
}
