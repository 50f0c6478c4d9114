// The proof of work of a public form: the first nonce n (decimal) such that SHA-256 of
// "<challenge>:<n>" starts with `difficulty` zero bits (the server checks it with one hash,
// cairn.auth.form_proofs). SubtleCrypto hashes in batches; where it is missing (a page served
// over plain HTTP is not a secure context) the SHA-256 of sha256.ts does the same.
import { sha256, zeroBits } from './sha256'

const BATCH = 64

export async function solve(
  token: string,
  difficulty: number,
  subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle,
  progress?: (tried: number) => void,
): Promise<string> {
  const enc = new TextEncoder()
  const prefix = `${token}:`
  for (let start = 0; ; start += BATCH) {
    const nonces = Array.from({ length: BATCH }, (_, i) => String(start + i))
    const digests: ArrayBuffer[] = subtle
      ? await Promise.all(nonces.map((n) => subtle.digest('SHA-256', enc.encode(prefix + n))))
      : nonces.map((n) => sha256(enc.encode(prefix + n)).buffer as ArrayBuffer)
    for (let i = 0; i < BATCH; i++) {
      if (zeroBits(new Uint8Array(digests[i])) >= difficulty) return nonces[i]
    }
    if (progress && start % (BATCH * 128) === 0) progress(start + BATCH)
  }
}
