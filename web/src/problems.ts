// Field errors from the API (problem+json) and from the client-side checks, keyed by field key.
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
