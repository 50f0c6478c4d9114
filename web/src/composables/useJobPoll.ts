import { onBeforeUnmount, type Ref } from 'vue'
import { messageOf } from '@/problems'

/** A background job (an import, a find-duplicates run) read again every ``every`` ms while
 * ``active`` says it is queued or running. ``error`` holds the last read's failure (the next
 * good read clears it); ``settled`` runs once when a read finds it no longer active. Polling
 * stops when the component goes. */
export function useJobPoll<J>(
  job: Ref<J | null>,
  opts: {
    active: (j: J | null) => boolean
    fetch: (j: J) => Promise<J>
    error: Ref<string>
    every: number
    settled?: (j: J) => void
  },
): { poll: () => void; stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null
  function stop(): void {
    if (timer) clearTimeout(timer)
    timer = null
  }
  function poll(): void {
    stop()
    if (!opts.active(job.value)) return
    timer = setTimeout(async () => {
      try {
        if (job.value) job.value = await opts.fetch(job.value)
        opts.error.value = ''
        if (job.value && !opts.active(job.value)) opts.settled?.(job.value)
      } catch (e) {
        opts.error.value = messageOf(e)
      }
      poll()
    }, opts.every)
  }
  onBeforeUnmount(stop)
  return { poll, stop }
}
