// The inbox counts (mine, claimable, overdue, done): shown in the main navigation, the page
// title and the inbox's boxes; reloaded on navigation, every minute, and after an action.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'
import { runPaths, type Counts } from './api'

const EMPTY: Counts = { mine: 0, claimable: 0, overdue: 0, done: 0 }

export const useTaskCounts = defineStore('taskCounts', () => {
  const counts = ref<Counts>({ ...EMPTY })
  const loaded = ref(false)
  /** Open tasks the user can act on: their own and the ones they may claim. */
  const open = computed(() => counts.value.mine + counts.value.claimable)
  let asked = 0

  async function load(): Promise<Counts> {
    const mine = ++asked
    try {
      const c = await api.get<Counts>(runPaths.counts(), { quiet401: true })
      if (mine === asked) {
        counts.value = { ...EMPTY, ...c }
        loaded.value = true
      }
    } catch {
      // No counts (signed out, or the API is away): the menu shows none rather than a wrong one.
    }
    return counts.value
  }

  function reset(): void {
    counts.value = { ...EMPTY }
    loaded.value = false
  }

  return { counts, loaded, open, load, reset }
})
