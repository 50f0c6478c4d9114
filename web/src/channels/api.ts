// Channels and deliveries (issue 17): their paths and the shapes the contract fixes. The
// deliveries' items are free-form in the OpenAPI document, so their fields are written here.
import { V1 } from '@/api/paths'

const e = encodeURIComponent

export const chanPaths = {
  channels: () => `${V1}/channels`,
  channel: (key: string) => `${V1}/channels/${e(key)}`,
  test: (key: string) => `${V1}/channels/${e(key)}/test`,
  deliveries: () => `${V1}/deliveries`,
  delivery: (id: number) => `${V1}/deliveries/${id}`,
  replay: (id: number) => `${V1}/deliveries/${id}/replay`,
  replayAll: () => `${V1}/deliveries/replay`,
  summary: () => `${V1}/deliveries/summary`,
  rules: (app: string) => `${V1}/apps/${e(app)}/rules`,
}

/** A JSON schema of one setting, as pydantic writes it (only the parts the form reads). */
export interface PropSchema {
  type?: string
  enum?: unknown[]
  anyOf?: PropSchema[]
  items?: PropSchema
  additionalProperties?: PropSchema | boolean
  default?: unknown
  title?: string
  description?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  format?: string
}

export interface SettingsSchema {
  properties?: Record<string, PropSchema>
  required?: string[]
}

/** A kind of channel: what its settings are and which of them are secret. */
export interface ChannelKind {
  kind: string
  settings_schema: SettingsSchema
  secret_fields: string[]
  /** "user", "email", "phone", "wecom" / "dingtalk" (a user, by their id there), or "" (the
   * channel's own target: a robot, a webhook). */
  recipient_kind?: string
}

export interface ChannelConfig {
  key: string
  kind: string
  name: string
  enabled: boolean
  settings: Record<string, any>
  secret_fields: string[]
  created_at: string
  updated_at: string
}

export interface ChannelList {
  items: ChannelConfig[]
  kinds: ChannelKind[]
}

export interface TestDelivery {
  recipient: unknown
  /** ``sent``, or ``dead`` (a test is not tried again later). */
  status: string
  detail: Record<string, unknown>
  /** The provider's answer (status line and body, truncated). */
  response?: string | null
  error?: string | null
  delivery_id?: number | null
}

export interface ChannelTestReply {
  ok: boolean
  deliveries: TestDelivery[]
}

export type DeliveryStatus = 'pending' | 'sent' | 'retrying' | 'dead'

export interface Delivery {
  id: number
  channel: string
  kind?: string | null
  recipient: string
  status: DeliveryStatus | string
  attempts: number
  error: string | null
  response?: unknown
  created_at: string
  sent_at: string | null
  next_attempt_at?: string | null
  subject?: string | null
  rule?: { id: number; key: string; name: string; app: string } | null
  run_id?: number | null
  record?: { app: string; table: string; id: number } | null
}

export interface Attempt {
  at: string
  status: string
  error: string | null
  response: unknown
  ms: number | null
  replay_by: number | null
}

/** One delivery with what it sends (`payload`) and every attempt: in the detail `attempts` is
 * the list of them, their count `attempt_count` (the list's `attempts`). */
export type DeliveryDetail = Omit<Delivery, 'attempts'> & {
  payload?: Record<string, unknown> | null
  attempts: Attempt[]
  attempt_count?: number
  idempotency_key?: string | null
}

/** A detail (the replay's reply) as a row of the list. */
export function asRow(d: DeliveryDetail): Delivery {
  const { attempts, attempt_count, payload: _payload, ...rest } = d
  return { ...rest, attempts: attempt_count ?? attempts.length }
}

export interface DeliveryPage {
  items: Delivery[]
  next_cursor: string | null
  total?: number
}

export interface Summary {
  dead: number
  retrying: number
}

export interface ReplayAll {
  replayed: number
  sent: number
  failed: number
}

/** What a recipient of each kind is, for kinds whose reply does not say (before issue 17). */
export const RECIPIENT_KIND: Record<string, string> = {
  email: 'email',
  sms: 'phone',
  wecom: '',
  dingtalk: '',
  webhook: '',
  wecom_app: 'wecom',
  dingtalk_app: 'dingtalk',
}
