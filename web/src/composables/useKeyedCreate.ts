// Creating something that has a name and a key (an app, a table): the key follows the name
// (`suggestKey`) until the user types one, both are checked before the request, and a refused
// request shows its field errors at their inputs (one without any, at the name).
import { reactive, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/client'
import { keyProblem, suggestKey } from '@/keys'

export interface KeyedForm {
  name: string
  key: string
  keyTouched: boolean
}

/** `prefix`: what a key suggested from a name without ASCII words starts with (`app_1`);
 *  `taken`: the keys in use; `extra`: the form's other fields with their blank values. */
export function useKeyedCreate<E extends object>(prefix: string, taken: () => string[], extra: E) {
  const { t } = useI18n()
  const blank = (): KeyedForm & E => ({ name: '', key: '', keyTouched: false, ...extra })
  const form = reactive(blank()) as KeyedForm & E
  const errors = ref<Record<string, string>>({})
  const busy = ref(false)

  watch(() => form.name, (n) => {
    if (!form.keyTouched) form.key = suggestKey(n, prefix, taken())
  })

  /** Back to a blank form (a dialog opened again). */
  function reset(): void {
    Object.assign(form, blank())
    errors.value = {}
  }

  /** Check the name and key, then `post` (the request and what follows it). */
  async function submit(post: () => Promise<void>): Promise<void> {
    errors.value = {}
    if (!form.name.trim()) errors.value.name = t('validation.required')
    const kp = keyProblem(form.key)
    if (kp) errors.value.key = t(kp)
    if (Object.keys(errors.value).length) return
    busy.value = true
    try {
      await post()
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      for (const [k, v] of Object.entries(e.fieldErrors)) errors.value[k] = v.join(' ')
      if (!Object.keys(e.fieldErrors).length) errors.value.name = e.detail
    } finally {
      busy.value = false
    }
  }

  return { form, errors, busy, reset, submit }
}
