// The server's errors of a refused save, by location (``dataset.measures.0.field``), kept only
// while what they are about is unchanged: once the person edits that input (or anything under
// that location), its error goes; the others stay until the next save.

/** The value at a dotted location of a draft (undefined where the path ends). */
export function valueAt(obj: unknown, loc: string): unknown {
  return loc.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj)
}

/** ``errors`` whose location holds in ``now`` what it held in ``then`` (the draft refused). */
export function stillValid(errors: Record<string, string>, then: unknown, now: unknown): Record<string, string> {
  const same = (loc: string) => JSON.stringify(valueAt(then, loc) ?? null) === JSON.stringify(valueAt(now, loc) ?? null)
  return Object.fromEntries(Object.entries(errors).filter(([loc]) => same(loc)))
}
