import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError } from '@/api/client'
import { paths } from '@/api/paths'
import type { components } from '@/api/schema'

/** Which table is the customer table, and what its 360° page shows (stored per app by the API). */
export interface CustomerViewConfig {
  table: string | null
  metrics: string[]
  sections: { relation: string; sort?: string | null }[]
  /** What the customer timeline shows (absent until set). */
  timeline?: components['schemas']['CustomerTimeline'] | null
  /** A date or date-time field of the customer table that each interaction logged moves
   * forward to its time (absent or null: none). */
  last_contact_field?: string | null
}

export const useCustomerView = defineStore('customerView', () => {
  const configs = ref<Record<string, CustomerViewConfig | null>>({})

  async function load(app: string, force = false): Promise<CustomerViewConfig | null> {
    if (!force && app in configs.value) return configs.value[app]
    try {
      configs.value = { ...configs.value, [app]: await api.get<CustomerViewConfig>(paths.customerView(app)) }
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e
      configs.value = { ...configs.value, [app]: null }
    }
    return configs.value[app]
  }

  async function save(app: string, config: CustomerViewConfig): Promise<CustomerViewConfig> {
    const saved = await api.put<CustomerViewConfig>(paths.customerView(app), config)
    configs.value = { ...configs.value, [app]: saved }
    return saved
  }

  function config(app: string): CustomerViewConfig | null {
    return configs.value[app] ?? null
  }

  return { configs, load, save, config }
})
