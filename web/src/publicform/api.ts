// Public forms (表单发布): the API's shapes and paths for the managers' publish panel, and the
// public page's own calls (no cookies sent, no CSRF token, nothing but the public routes).
import type { components } from '@/api/schema'
import type { LinkageJSON } from '@/formula/linkage'
import { ApiError } from '@/api/client'
import { paths, V1 } from '@/api/paths'

type Schemas = components['schemas']
const e = encodeURIComponent

/** A form's publication (for the app's managers). */
export type Publication = Schemas['Publication']
export type PublicationLink = Schemas['PublicationLink']
export type ThankYou = Schemas['ThankYouText']
/** A field as the public page shows it (what its editor needs). */
export type PublicFormField = Omit<Schemas['PublicFormField'], 'options'> & { options: Record<string, any> }
/** What the public page of a form gets. */
export type PublicForm = Omit<Schemas['PublicForm'], 'fields' | 'linkage'> & {
  fields: PublicFormField[]
  linkage: LinkageJSON
}
export type PublicSubmitted = Schemas['PublicSubmitted']

export const publicationPaths = {
  publication: (app: string, table: string, form: string) => `${paths.form(app, table, form)}/publication`,
  links: (app: string, table: string, form: string) => `${paths.form(app, table, form)}/publication/links`,
}

export const publicPath = (token: string) => `${V1}/public/forms/${e(token)}`

/** A call of the public API: JSON, the page's language, and never a cookie. */
export async function publicRequest<T>(method: 'GET' | 'POST', url: string, lang: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': lang }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  })
  const ctype = res.headers.get('content-type') ?? ''
  const data = ctype.includes('json') ? await res.json() : { detail: await res.text() }
  if (!res.ok) throw new ApiError(res.status, data)
  return data as T
}
