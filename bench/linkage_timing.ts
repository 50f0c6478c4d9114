// A form's linkage rules run once per keystroke, the way the form page runs them: shared by
// the node driver (bench/formula_driver.ts, which the Python tests use too) and the page the
// bench loads into Chromium (bench/linkage_page.ts).
import { envOf, Linkage, type EnvJSON, type FormState, type LinkageJSON } from '../web/src/formula'

export interface StateJSON {
  values: Record<string, unknown>
  set_by: Record<string, string>
  hidden: string[]
  hidden_sections: string[]
  required: Record<string, string>
  readonly: Record<string, string>
  options: Record<string, [string[], string]>
  active: boolean[]
}

/** A form state as the Python tests compare it (sets sorted, snake_case keys). */
export function stateJSON(s: FormState): StateJSON {
  return {
    values: s.values,
    set_by: s.setBy,
    hidden: [...s.hidden].sort(),
    hidden_sections: [...s.hiddenSections].sort(),
    required: s.required,
    readonly: s.readonly,
    options: Object.fromEntries(Object.entries(s.options).map(([k, o]) => [k, [o.allowed, o.rule]])),
    active: s.active,
  }
}

export interface KeystrokesRequest {
  linkage: LinkageJSON
  env: EnvJSON
  /** The fields typed into, in turn (a number gains 1, a text an "x"). */
  kinds: Record<string, string>
  record: Record<string, unknown>
  keystrokes: number
}

export interface KeystrokesReply {
  /** Milliseconds of each keystroke's run. */
  times: number[]
  /** Rules each keystroke's run evaluated (the others' inputs were unchanged). */
  evaluated: number[]
  /** The values typed in the end and the state the last run gave for them. */
  values: Record<string, unknown>
  state: StateJSON
}

export function keystrokes(req: KeystrokesRequest): KeystrokesReply {
  const form = new Linkage(req.linkage, envOf(req.env))
  const values: Record<string, unknown> = { ...req.record }
  const keys = Object.keys(req.kinds)
  let state = form.run(values)
  const times: number[] = []
  const evaluated: number[] = []
  for (let i = 0; i < req.keystrokes; i++) {
    const k = keys[i % keys.length]
    const v = values[k]
    values[k] = typeof v === 'number' ? v + 1 : typeof v === 'string' ? v + 'x' : v
    const t0 = performance.now()
    state = form.run(values)
    times.push(performance.now() - t0)
    evaluated.push(form.evaluated)
  }
  return { times, evaluated, values, state: stateJSON(state) }
}
