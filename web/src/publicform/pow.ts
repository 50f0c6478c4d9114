// The proof of work of a public form, solved in a Web Worker (pow.worker.ts) as soon as the page
// has its challenge, so it is usually done before the visitor has finished typing.
export interface Solving {
  /** The nonce, once found. */
  done: Promise<string>
  stop: () => void
}

export function solveChallenge(token: string, difficulty: number): Solving {
  const worker = new Worker(new URL('./pow.worker.ts', import.meta.url), { type: 'module' })
  const done = new Promise<string>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ nonce?: string }>) => {
      if (e.data.nonce === undefined) return
      resolve(e.data.nonce)
      worker.terminate()
    }
    worker.onerror = (e) => {
      reject(new Error(e.message || 'proof of work failed'))
      worker.terminate()
    }
  })
  worker.postMessage({ token, difficulty })
  return { done, stop: () => worker.terminate() }
}
