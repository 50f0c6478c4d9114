// The browser's identity-key checks (web/src/identityKeys.ts) for the Python tests: reads JSON
// lines {kind, texts} and answers {ok: [rule or null, ...]}, a rule as the server names it.
import * as readline from 'node:readline'
import { checkCreditCode, checkIdNumber, checkVin } from '../../web/src/identityKeys'

const CHECKS: Record<string, (value: unknown) => { key: string } | null> = {
  vin: checkVin,
  id_number: (v) => checkIdNumber(v),
  credit_code: checkCreditCode,
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  try {
    const req = JSON.parse(line)
    const rules = (req.texts as string[]).map((text) => {
      const problem = CHECKS[req.kind](text)
      return problem ? problem.key.replace(/^validation\./, 'value.') : null
    })
    process.stdout.write(JSON.stringify({ ok: rules }) + '\n')
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e) }) + '\n')
  }
})
