import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError } from '@/api/client'
import { paths } from '@/api/paths'
import type { User } from '@/api/types'

interface Session {
  user: User
  csrf_token: string
}

/**
 * The signed-in user. `mode` is "session" once the API has sign-in; a server without the auth
 * routes (404 on /auth/me) runs open and the UI shows no sign-in.
 */
export const useAuth = defineStore('auth', () => {
  const user = ref<User | null>(null)
  const mode = ref<'unknown' | 'session' | 'open'>('unknown')

  async function load(): Promise<void> {
    try {
      const s = await api.get<Session>(paths.me(), { quiet401: true })
      user.value = s.user
      mode.value = 'session'
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) mode.value = 'open'
      else if (e instanceof ApiError && e.status === 401) {
        mode.value = 'session'
        user.value = null
      } else throw e
    }
  }

  async function login(username: string, password: string): Promise<void> {
    const s = await api.post<Session>(paths.login(), { username, password }, { quiet401: true })
    user.value = s.user
    mode.value = 'session'
  }

  async function logout(): Promise<void> {
    try {
      await api.post(paths.logout(), undefined, { quiet401: true })
    } finally {
      user.value = null
    }
  }

  return { user, mode, load, login, logout }
})
