// A page's reads that show a spinner while they run and a message when they fail (the page
// keeps what it had): `run(job)` sets `loading` around `job` and reports its error.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { messageOf } from '@/problems'

export function useLoading(initially = true) {
  const loading = ref(initially)

  async function run(job: () => Promise<void>): Promise<void> {
    loading.value = true
    try {
      await job()
    } catch (e) {
      ElMessage.error(messageOf(e))
    } finally {
      loading.value = false
    }
  }

  return { loading, run }
}
