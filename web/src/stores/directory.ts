import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Department, Page, UserFull } from '@/api/types'

/** Users and departments, for pickers and names (admin pages and @mentions). */
export const useDirectory = defineStore('directory', () => {
  const users = ref<UserFull[]>([])
  const departments = ref<Department[]>([])
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

  function userName(id: number | null | undefined): string {
    if (id === null || id === undefined) return ''
    const u = users.value.find((x) => x.id === id)
    return u ? u.display_name || u.username : `#${id}`
  }

  function departmentName(id: number | null | undefined): string {
    if (id === null || id === undefined) return ''
    return departments.value.find((d) => d.id === id)?.name ?? `#${id}`
  }

  return { users, departments, loadUsers, loadDepartments, userName, departmentName }
})
