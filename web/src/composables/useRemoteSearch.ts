// A select's options searched on the server as the user types: the latest search's answer is
// the one shown (an earlier one that comes back later is dropped), a failed search shows none,
// and `loading` is on while the latest is under way.
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Page } from '@/api/types'
import type { UserName } from '@/stores/directory'

/** `fetch`: the options for a term; `onFound`: what else to do with the latest answer. */
export function useRemoteSearch<T>(fetch: (term: string) => Promise<T[]>, onFound?: (items: T[]) => void) {
  const found = ref([]) as Ref<T[]>
  const loading = ref(false)
  let asked = 0

  async function search(term: string): Promise<void> {
    const mine = ++asked
    loading.value = true
    try {
      const items = await fetch(term)
      if (mine === asked) {
        found.value = items
        onFound?.(items)
      }
    } catch {
      if (mine === asked) found.value = []
    } finally {
      if (mine === asked) loading.value = false
    }
  }

  return { found, loading, search }
}

/** The first 20 active members whose name matches `term` (all of them for a blank term). */
export async function searchUsers(term: string): Promise<UserName[]> {
  const q = new URLSearchParams({ limit: '20', active: 'true' })
  if (term.trim()) q.set('search', term.trim())
  return (await api.get<Page<UserName>>(`${paths.users()}?${q}`)).items
}
