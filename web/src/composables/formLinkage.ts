// A record form's form (the table's default form, or a variant) and its linkage rules, live:
// the rules run again as the user types (web/src/formula/linkage.ts), what they set or clear
// goes into the values, and the form hides, requires, locks and limits fields as they say.
// The server enforces the same rules when the record is saved.
import { computed, shallowRef, watch } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Form, FormList } from '@/api/types'
import { envOf, Linkage, type FormState } from '@/formula'
import { isBlank, type Problem } from '@/registries/fieldTypes/types'

const NONE: ReadonlySet<string> = new Set()
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

export function useFormLinkage(values: Record<string, unknown>) {
  const form = shallowRef<Form | null>(null)
  const linkage = shallowRef<Linkage | null>(null)

  /** Load form ``key`` of the table (none: the one the user opens by default). */
  async function load(app: string, table: string, key?: string | null): Promise<Form> {
    let wanted = key
    if (!wanted) wanted = (await api.get<FormList>(paths.forms(app, table))).in_force
    const got = await api.get<Form>(paths.form(app, table, wanted))
    form.value = got
    linkage.value = got.linkage.rules.length ? new Linkage(got.linkage, envOf(got.env)) : null
    return got
  }

  const state = computed<FormState | null>(() => {
    const l = linkage.value
    return l ? l.run({ ...values }) : null
  })
  // What the rules set or clear is written into the form, as the server will write it.
  watch(state, (s) => {
    if (!s) return
    for (const k of Object.keys(s.setBy)) if (!same(values[k], s.values[k])) values[k] = s.values[k]
  })

  const required = computed<Record<string, string>>(() => state.value?.required ?? {})
  const readonly = computed<Record<string, string>>(() => state.value?.readonly ?? {})
  const options = computed<Record<string, { allowed: string[]; rule: string }>>(() => state.value?.options ?? {})

  /** What the rules make of one field, as FieldInput takes it (v-bind). */
  function fieldProps(key: string): { required: boolean; readonly: boolean; allowed: string[] | null } {
    return { required: !!required.value[key], readonly: !!readonly.value[key], allowed: options.value[key]?.allowed ?? null }
  }

  /** What the rules say against a field's value before it is sent (the server says it again):
   *  a message key and its parameters, or null. */
  function problem(key: string, v: unknown): Problem | null {
    const rule = required.value[key]
    if (rule && isBlank(v)) return { key: 'validation.rule_required', params: { rule } }
    const limit = options.value[key]
    const bad = limit && (Array.isArray(v) ? v : isBlank(v) ? [] : [v]).find((x) => !limit.allowed.includes(String(x)))
    if (limit && bad !== undefined) return { key: 'validation.rule_options', params: { rule: limit.rule, value: String(bad) } }
    return null
  }

  return {
    form,
    state,
    load,
    fieldProps,
    problem,
    /** The form's key for a write (``?form=``): none for the default form. */
    writeKey: computed(() => (form.value && !form.value.default ? form.value.key : null)),
    hidden: computed(() => state.value?.hidden ?? NONE),
    hiddenSections: computed(() => state.value?.hiddenSections ?? NONE),
  }
}
