// The dead letters (deliveries whose retries are spent) and the deliveries waiting for a retry:
// the count on the admin menu's 投递记录, reloaded on navigation in administration and after a replay.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { chanPaths, type Summary } from './api'

export const useDeliveryCounts = defineStore('deliveryCounts', () => {
  const dead = ref(0)
  const retrying = ref(0)
  let asked = 0

  async function load(): Promise<void> {
    const mine = ++asked
    try {
      const s = await api.get<Summary>(chanPaths.summary(), { quiet401: true })
      if (mine !== asked) return
      dead.value = s.dead
      retrying.value = s.retrying
    } catch {
      // No summary (the API is away, or older): the menu shows no count rather than a wrong one.
    }
  }

  return { dead, retrying, load }
})
