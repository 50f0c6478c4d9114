// The one way the UI talks to the API: JSON over fetch, the UI language as Accept-Language,
// the CSRF header on every write, problem+json turned into ApiError, and 401 → sign-in.

export interface FieldErrors {
  [field: string]: string[]
}

export class ApiError extends Error {
  status: number
  code: string
  detail: string
  fieldErrors: FieldErrors
  body: Record<string, unknown>

  constructor(status: number, body: Record<string, unknown>) {
    const detail = String(body.detail ?? body.title ?? `HTTP ${status}`)
    super(detail)
    this.status = status
    this.code = String(body.code ?? '')
    this.detail = detail
    this.body = body
    this.fieldErrors = {}
    const errors = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : []
    for (const e of errors) {
      const key = String(e.field ?? '')
      ;(this.fieldErrors[key] ??= []).push(String(e.message ?? e.code ?? ''))
    }
  }
}

type Hooks = { language: () => string; onUnauthorized: () => void }
const hooks: Hooks = { language: () => 'zh-CN', onUnauthorized: () => {} }

export function configureApi(h: Partial<Hooks>): void {
  Object.assign(hooks, h)
}

export function cookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return null
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface RequestOptions {
  body?: unknown
  form?: FormData
  /** Do not redirect to sign-in on 401 (the auth calls themselves). */
  quiet401?: boolean
}

export async function request<T = unknown>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': hooks.language(),
  }
  if (WRITES.has(method)) {
    const token = cookie('cairn_csrf')
    if (token) headers['X-CSRF-Token'] = token
  }
  let body: BodyInit | undefined
  if (opts.form) body = opts.form
  else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' })
  if (res.status === 204) return undefined as T
  const ctype = res.headers.get('content-type') ?? ''
  const data = ctype.includes('json') ? await res.json() : await res.text()
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) hooks.onUnauthorized()
    throw new ApiError(res.status, typeof data === 'object' && data ? data : { detail: String(data) })
  }
  return data as T
}

export const api = {
  get: <T = unknown>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T = unknown>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>('POST', path, { ...opts, body }),
  patch: <T = unknown>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  put: <T = unknown>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  del: <T = unknown>(path: string) => request<T>('DELETE', path),
  upload: <T = unknown>(path: string, form: FormData) => request<T>('POST', path, { form }),
}

/** Upload with progress (fetch has no upload progress): XMLHttpRequest with the same headers. */
export function uploadWithProgress<T>(
  path: string,
  file: File,
  onProgress: (percent: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.setRequestHeader('Accept-Language', hooks.language())
    const token = cookie('cairn_csrf')
    if (token) xhr.setRequestHeader('X-CSRF-Token', token)
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100))
    xhr.onload = () => {
      let data: Record<string, unknown> = {}
      try {
        data = JSON.parse(xhr.responseText)
      } catch {
        data = { detail: xhr.responseText }
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T)
      else {
        if (xhr.status === 401) hooks.onUnauthorized()
        reject(new ApiError(xhr.status, data))
      }
    }
    xhr.onerror = () => reject(new ApiError(0, { detail: 'network error' }))
    const form = new FormData()
    form.append('file', file)
    xhr.send(form)
  })
}

/** POST ``body`` and save the reply as a file (exports): the browser's own download. */
export async function download(path: string, body: unknown, fallbackName: string): Promise<string> {
  const headers: Record<string, string> = { 'Accept-Language': hooks.language(), 'Content-Type': 'application/json' }
  const token = cookie('cairn_csrf')
  if (token) headers['X-CSRF-Token'] = token
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' })
  if (!res.ok) {
    if (res.status === 401) hooks.onUnauthorized()
    const ctype = res.headers.get('content-type') ?? ''
    throw new ApiError(res.status, ctype.includes('json') ? await res.json() : { detail: await res.text() })
  }
  const disposition = res.headers.get('content-disposition') ?? ''
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
