import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError } from '@/api/client'
import { paths } from '@/api/paths'
import type { GlobalPermissions, User } from '@/api/types'
import { useMeta } from '@/stores/meta'

interface Session {
  user: User
  csrf_token: string
  permissions?: GlobalPermissions
}

/** A server that runs open (no sign-in) lets everyone do everything. */
const OPEN: GlobalPermissions = { admin: true, create_apps: true }
const NONE: GlobalPermissions = { admin: false, create_apps: false }

/**
 * The signed-in user. `mode` is "session" once the API has sign-in; a server without the auth
 * routes (404 on /auth/me) runs open and the UI shows no sign-in.
 */
export const useAuth = defineStore('auth', () => {
  const user = ref<User | null>(null)
  const mode = ref<'unknown' | 'session' | 'open'>('unknown')
  /** What the API says the signed-in user may do (create apps, administer). */
  const permissions = ref<GlobalPermissions>(NONE)

  async function load(): Promise<void> {
    try {
      const s = await api.get<Session>(paths.me(), { quiet401: true })
      user.value = s.user
      permissions.value = s.permissions ?? NONE
      mode.value = 'session'
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        mode.value = 'open'
        permissions.value = OPEN
      } else if (e instanceof ApiError && e.status === 401) {
        mode.value = 'session'
        user.value = null
        permissions.value = NONE
      } else throw e
    }
  }

  async function login(username: string, password: string): Promise<void> {
    const s = await api.post<Session>(paths.login(), { username, password }, { quiet401: true })
    useMeta().reset() // another user: other apps, tables and permissions
    user.value = s.user
    mode.value = 'session'
    await load() // what this user may do
  }

  async function logout(): Promise<void> {
    try {
      await api.post(paths.logout(), undefined, { quiet401: true })
    } finally {
      user.value = null
      permissions.value = NONE
      useMeta().reset()
    }
  }

  return { user, mode, permissions, load, login, logout }
})
