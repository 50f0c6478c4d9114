// The public form's proof of work as the browser runs it (web/src/publicform), for the Python
// tests: reads JSON lines {token, difficulty, subtle} and answers {ok: nonce}; {hash: text}
// answers the JavaScript SHA-256 of the text (hex).
import * as readline from 'node:readline'
import { sha256 } from '../../web/src/publicform/sha256'
import { solve } from '../../web/src/publicform/solver'

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  try {
    const req = JSON.parse(line)
    if (typeof req.hash === 'string') {
      const digest = sha256(new TextEncoder().encode(req.hash))
      const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
      process.stdout.write(JSON.stringify({ ok: hex }) + '\n')
      return
    }
    const nonce = await solve(req.token, req.difficulty, req.subtle ? globalThis.crypto.subtle : undefined)
    process.stdout.write(JSON.stringify({ ok: nonce }) + '\n')
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e) }) + '\n')
  }
})
