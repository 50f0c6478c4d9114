// The live preview of the actions: a dry run of the current draft on the record the person
// picked, run again (debounced) as the draft changes. One per builder; the actions read their
// own entry (``index``) of the reply.
import { ref, watch, type Ref } from 'vue'
import { ApiError } from '@/api/client'
import { dryRun, type DryRun } from './api'
import type { RuleDraft } from './model'

export interface Preview {
  result: Ref<DryRun | null>
  error: Ref<string>
  loading: Ref<boolean>
}

export function usePreview(app: string, draft: () => RuleDraft, record: Ref<number | null>): Preview {
  const result = ref<DryRun | null>(null)
  const error = ref('')
  const loading = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  let asked = 0
  async function run(): Promise<void> {
    const id = record.value
    if (!id) {
      result.value = null
      error.value = ''
      return
    }
    const mine = ++asked
    loading.value = true
    try {
      const r = await dryRun(app, JSON.parse(JSON.stringify(draft())), id)
      if (mine !== asked) return
      result.value = r
      error.value = ''
    } catch (e) {
      if (mine !== asked) return
      result.value = null
      error.value = e instanceof ApiError ? (e.status === 422 ? 'invalid' : e.detail) : String(e)
    } finally {
      if (mine === asked) loading.value = false
    }
  }
  watch(
    [draft, record],
    () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(run, record.value ? 600 : 0)
    },
    { deep: true },
  )
  return { result, error, loading }
}
