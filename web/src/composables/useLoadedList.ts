// The rows of a list page (for its ListShell): `load()` asks for them (on mount, and again when
// the page wants); while it runs `loading` is true, and when it fails `error` says why.
import { ref, type Ref } from 'vue'
import { messageOf } from '@/problems'

export function useLoadedList<T>(fetch: () => Promise<T[]>) {
  const items = ref([]) as Ref<T[]>
  const loading = ref(true)
  const error = ref('')

  async function load(): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      items.value = await fetch()
    } catch (e) {
      error.value = messageOf(e)
    } finally {
      loading.value = false
    }
  }

  return { items, loading, error, load }
}
