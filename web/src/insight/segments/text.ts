// A record's value as plain text for the members table (select options, people, linked records,
// lists); never HTML.
export function plain(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (Array.isArray(v)) return v.map(plain).filter(Boolean).join(', ')
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    return plain(o.title ?? o.name ?? o.value ?? o.display_name ?? o.id ?? '')
  }
  return String(v)
}

/** "2026-01-05 09:00" of an API timestamp (UTC) in the viewer's time. */
export function when(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`)
  if (Number.isNaN(d.getTime())) return iso
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}
