// A .bpmn file chosen on the process list, handed to the designer page that opens next.
let pending: { key: string; xml: string } | null = null

export function handOver(key: string, xml: string): void {
  pending = { key, xml }
}

/** The file handed over for ``key`` (once). */
export function takeOver(key: string): string | null {
  if (!pending || pending.key !== key) return null
  const xml = pending.xml
  pending = null
  return xml
}

/** The process id and name of a BPMN file (the first executable process). */
export function describe(xml: string): { id: string; name: string } | null {
  const doc = new DOMParser().parseFromString(xml, 'application/xml')
  if (doc.getElementsByTagName('parsererror').length) return null
  const procs = [...doc.getElementsByTagNameNS('http://www.omg.org/spec/BPMN/20100524/MODEL', 'process')]
  const p = procs.find((x) => x.getAttribute('isExecutable') !== 'false') ?? procs[0]
  if (!p) return null
  return { id: p.getAttribute('id') ?? '', name: p.getAttribute('name') ?? '' }
}

/** A Cairn key from a BPMN id ("Process_1x2y" → "process_1x2y"). */
export function keyFrom(id: string): string {
  let k = id.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '')
  if (!/^[a-z]/.test(k)) k = `p_${k}`
  return k.slice(0, 63)
}
