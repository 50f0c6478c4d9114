// Solves a public form's proof-of-work challenge off the main thread, while the visitor types
// (solver.ts), and posts the nonce back.
import { solve } from './solver'

self.onmessage = async (e: MessageEvent<{ token: string; difficulty: number }>) => {
  const { token, difficulty } = e.data
  postMessage({ nonce: await solve(token, difficulty, undefined, (tried) => postMessage({ tried })) })
}
