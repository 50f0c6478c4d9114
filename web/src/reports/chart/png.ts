// A number card as a PNG: what the card shows (the value in its colour, the change line),
// drawn on a canvas of its own, since the card is HTML and ECharts' getDataURL does not apply.

export function numberCardPng(root: HTMLElement | null, title: string): string | null {
  const valueEl = root?.querySelector<HTMLElement>('[data-test=number-value]')
  if (!root || !valueEl) return null
  const change = root.querySelector<HTMLElement>('[data-test=number-change]')?.innerText.replace(/\s+/g, ' ').trim() ?? ''
  const font = getComputedStyle(document.documentElement).getPropertyValue('--el-font-family').trim() || 'sans-serif'
  const ratio = 2
  const w = Math.max(320, Math.round(root.clientWidth))
  const h = Math.max(180, Math.round(root.clientHeight))
  const canvas = document.createElement('canvas')
  canvas.width = w * ratio
  canvas.height = h * ratio
  const ctx = canvas.getContext('2d')
  if (!ctx) return null
  ctx.scale(ratio, ratio)
  ctx.fillStyle = '#fff'
  ctx.fillRect(0, 0, w, h)
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  if (title) {
    ctx.fillStyle = '#1f2329'
    ctx.font = `600 16px ${font}`
    ctx.fillText(title, w / 2, 24, w - 24)
  }
  ctx.fillStyle = getComputedStyle(valueEl).color || '#1f2329'
  const size = Math.min(72, Math.max(28, h / 3.2))
  ctx.font = `650 ${size}px ${font}`
  ctx.fillText(valueEl.innerText.trim(), w / 2, h / 2 + (title ? 6 : 0), w - 24)
  if (change) {
    ctx.fillStyle = '#5b6470'
    ctx.font = `14px ${font}`
    ctx.fillText(change, w / 2, h / 2 + size / 2 + 22, w - 24)
  }
  return canvas.toDataURL('image/png')
}
