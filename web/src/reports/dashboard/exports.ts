// A dashboard (or one widget's card) as a picture: html2canvas draws the element, ECharts'
// canvases included, to one canvas; a PDF puts that picture on A4 landscape pages (jsPDF).
// Both libraries load only when the user exports (their own chunks).

async function draw(el: HTMLElement, background: string): Promise<HTMLCanvasElement> {
  const { default: html2canvas } = await import('html2canvas')
  return html2canvas(el, {
    backgroundColor: background,
    scale: Math.min(2, window.devicePixelRatio || 1) * 1.5,
    logging: false,
    useCORS: true,
    // The widgets' menus and resize handles are not part of the picture.
    ignoreElements: (node) => node instanceof HTMLElement && node.dataset.exportSkip !== undefined,
  })
}

/** An element as a PNG data URL. */
export async function elementPng(el: HTMLElement, background = '#ffffff'): Promise<string> {
  return (await draw(el, background)).toDataURL('image/png')
}

/** An element as an A4 landscape PDF (a Blob), its picture scaled to the page width and cut
 * into as many pages as it needs; ``title`` heads the first page. */
export async function elementPdf(el: HTMLElement, title: string, background = '#ffffff'): Promise<Blob> {
  const [canvas, { jsPDF }] = await Promise.all([draw(el, background), import('jspdf')])
  const pdf = new jsPDF({ orientation: 'landscape', unit: 'mm', format: 'a4' })
  const pageW = pdf.internal.pageSize.getWidth()
  const pageH = pdf.internal.pageSize.getHeight()
  const margin = 8
  const width = pageW - 2 * margin
  const mmPerPx = width / canvas.width
  // The title as a picture too: jsPDF's standard fonts have no Chinese glyphs.
  const head = titleCanvas(title, canvas.width)
  let top = margin
  if (head) {
    pdf.addImage(head.toDataURL('image/png'), 'PNG', margin, top, width, head.height * mmPerPx)
    top += head.height * mmPerPx + 2
  }
  // Slice the picture into page-high strips.
  let y = 0
  while (y < canvas.height) {
    const room = (pageH - margin - top) / mmPerPx
    const h = Math.min(canvas.height - y, Math.floor(room))
    const strip = document.createElement('canvas')
    strip.width = canvas.width
    strip.height = h
    strip.getContext('2d')!.drawImage(canvas, 0, y, canvas.width, h, 0, 0, canvas.width, h)
    pdf.addImage(strip.toDataURL('image/png'), 'PNG', margin, top, width, h * mmPerPx)
    y += h
    if (y < canvas.height) {
      pdf.addPage()
      top = margin
    }
  }
  return pdf.output('blob')
}

function titleCanvas(title: string, width: number): HTMLCanvasElement | null {
  if (!title) return null
  const c = document.createElement('canvas')
  const size = Math.round(width / 48)
  c.width = width
  c.height = Math.round(size * 1.8)
  const ctx = c.getContext('2d')!
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, c.width, c.height)
  ctx.fillStyle = '#1f2329'
  const font = getComputedStyle(document.documentElement).getPropertyValue('--el-font-family').trim() || 'sans-serif'
  ctx.font = `600 ${size}px ${font}`
  ctx.textBaseline = 'middle'
  ctx.fillText(title, 0, c.height / 2, width)
  return c
}
