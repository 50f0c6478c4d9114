import { onBeforeUnmount, ref } from 'vue'

/** True while the viewport is phone-sized (the grid becomes cards, forms one column). */
export function usePhone(query = '(max-width: 768px)') {
  const mq = window.matchMedia(query)
  const phone = ref(mq.matches)
  const update = () => (phone.value = mq.matches)
  mq.addEventListener('change', update)
  onBeforeUnmount(() => mq.removeEventListener('change', update))
  return phone
}
