import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Department, Page, UserFull } from '@/api/types'

/** Who a user is, as any member may see it (admins get more fields). */
export type UserName = Pick<UserFull, 'id' | 'username' | 'display_name'>

/** The most ids one `GET /users?ids=` takes (the API's limit). */
const IDS_PER_CALL = 200

/** Users and departments, for pickers and names (admin pages, @mentions, user fields). */
export const useDirectory = defineStore('directory', () => {
  const users = ref<UserFull[]>([])
  const departments = ref<Department[]>([])
  /** Users fetched by id for their names (a page's history, a grid's user fields). */
  const named = ref<Record<number, UserName | null>>({})
  let loadedUsers = false
  let loadedDepartments = false

  async function loadUsers(force = false): Promise<UserFull[]> {
    if (force || !loadedUsers) {
      users.value = (await api.get<Page<UserFull>>(paths.users())).items
      loadedUsers = true
    }
    return users.value
  }

  async function loadDepartments(force = false): Promise<Department[]> {
    if (force || !loadedDepartments) {
      departments.value = (await api.get<Page<Department>>(paths.departments())).items
      loadedDepartments = true
    }
    return departments.value
  }

  // Ids asked for in the same tick go out together: a grid of fifty user cells makes one call.
  let wanted = new Set<number>()
  const asked = new Set<number>()
  let pending: Promise<void> | null = null
  async function fetchWanted(): Promise<void> {
    await Promise.resolve()
    const ids = [...wanted]
    wanted = new Set()
    pending = null
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const part = ids.slice(i, i + IDS_PER_CALL)
      let found: UserName[] = []
      try {
        found = (await api.get<Page<UserName>>(`${paths.users()}?ids=${part.join(',')}`)).items
      } catch {
        found = [] // names stay as ids
      }
      const next = { ...named.value }
      for (const id of part) next[id] = null // not visible (disabled, or gone): shown as #id
      for (const u of found) next[u.id] = u
      named.value = next
    }
  }

  /** Make sure the names of these users are known (one request for all not known yet). */
  function ensureUsers(ids: Iterable<number | null | undefined>): Promise<void> {
    for (const id of ids) {
      if (typeof id !== 'number' || asked.has(id) || users.value.some((u) => u.id === id)) continue
      asked.add(id)
      wanted.add(id)
    }
    if (!wanted.size) return pending ?? Promise.resolve()
    if (!pending) pending = fetchWanted()
    return pending
  }

  function user(id: number | null | undefined): UserName | null {
    if (id === null || id === undefined) return null
    return users.value.find((x) => x.id === id) ?? named.value[id] ?? null
  }

  function userName(id: number | null | undefined): string {
    if (id === null || id === undefined) return ''
    const u = user(id)
    return u ? u.display_name || u.username : `#${id}`
  }

  function departmentName(id: number | null | undefined): string {
    if (id === null || id === undefined) return ''
    return departments.value.find((d) => d.id === id)?.name ?? `#${id}`
  }

  function remember(list: UserName[]): void {
    const next = { ...named.value }
    for (const u of list) next[u.id] = u
    named.value = next
  }

  return { users, departments, named, loadUsers, loadDepartments, ensureUsers, user, userName, departmentName, remember }
})
