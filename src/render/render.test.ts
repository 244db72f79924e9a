import { cssPageSize, DEFAULT_SIZES, LabelRenderError, MAX_PAGE_MM, pageSizeFor, renderLabel, safeFileName } from './render'

test.each<[string, { widthMm: number; heightMm: number } | undefined]>([
  ['@page { size: 100mm 150mm; margin: 0; }', { widthMm: 100, heightMm: 150 }],
  ['@page{size:10cm 18cm}', { widthMm: 100, heightMm: 180 }],
  ['@page { margin: 0; size: 4in 6in }', { widthMm: 101.6, heightMm: 152.4 }],
  ['@page :first { size: 76mm 130mm }', { widthMm: 76, heightMm: 130 }],
  ['@page { size: A6 }', { widthMm: 105, heightMm: 148 }],
  ['@page { size: a5 landscape }', { widthMm: 210, heightMm: 148 }],
  ['@page { margin: 0 }', undefined],
  ['@PAGE { SIZE: 100MM 150MM }', { widthMm: 100, heightMm: 150 }],
  ['@page { size: 100mm 150mm } @page :first { size: 200mm 300mm }', { widthMm: 200, heightMm: 300 }],
  ['@page { size: 100mm 150mm', undefined],
  ['<p>no css</p>', undefined],
])('cssPageSize(%p)', (css, expected) => {
  const got = cssPageSize(`<style>${css}</style>`)
  if (expected === undefined) expect(got).toBeUndefined()
  else {
    expect(got!.widthMm).toBeCloseTo(expected.widthMm, 3)
    expect(got!.heightMm).toBeCloseTo(expected.heightMm, 3)
  }
})

test('the page size: the label CSS first, then the option, then the print type default', () => {
  expect(pageSizeFor('<style>@page{size:76mm 130mm}</style>', { size: { widthMm: 50, heightMm: 30 } })).toEqual({ widthMm: 76, heightMm: 130, source: 'css' })
  expect(pageSizeFor('<p>', { size: { widthMm: 50, heightMm: 30 } })).toEqual({ widthMm: 50, heightMm: 30, source: 'option' })
  expect(pageSizeFor('<p>', { printType: 1 })).toEqual({ ...DEFAULT_SIZES[1], source: 'default' })
  expect(pageSizeFor('<p>', {})).toEqual({ ...DEFAULT_SIZES[0], source: 'default' })
})

test('without Chromium: a LabelRenderError that says how to install it', async () => {
  await expect(renderLabel('<p>x</p>', { outDir: '/tmp', name: 'x', executablePath: '/nonexistent/chromium' })).rejects.toMatchObject({
    name: 'LabelRenderError',
    hint: expect.stringContaining('apt-get install -y chromium'),
  })
  await expect(renderLabel('<p>x</p>', { outDir: '/tmp', name: 'x', executablePath: '/nonexistent/chromium' })).rejects.toBeInstanceOf(LabelRenderError)
})

test.each([
  ['900 KB of "@page{"', '@page{'.repeat(150_000)],
  ['900 KB of "@page "', '@page '.repeat(150_000) + '{ size: 1mm }'],
  ['900 KB of "@page{size:" with no end', '@page{size:' + '1mm '.repeat(220_000)],
  ['5 MB of "@page{}"', '@page{}'.repeat(750_000)],
])('cssPageSize is linear: %s is scanned in well under a second', (_what, html) => {
  const started = performance.now()
  cssPageSize(html)
  expect(performance.now() - started).toBeLessThan(1000)
})

test.each([
  ['100000 mm', '@page{size:100000mm 100000mm}'],
  ['1.5 m long', '@page{size:100mm 1500mm}'],
  ['too narrow', '@page{size:1mm 100mm}'],
  ['wider than stock both ways', '@page{size:400mm 400mm}'],
])('a page outside real stock (%s) is refused before it becomes a viewport', (_what, css) => {
  expect(() => pageSizeFor(`<style>${css}</style>`, {})).toThrow(expect.objectContaining({ name: 'RenderLimitError', limit: 'size' }))
})

test('the largest stock passes, either way round', () => {
  expect(pageSizeFor(`<style>@page{size:${MAX_PAGE_MM.shorter}mm ${MAX_PAGE_MM.longer}mm}</style>`, {})).toMatchObject({ source: 'css' })
  expect(pageSizeFor(`<style>@page{size:${MAX_PAGE_MM.longer}mm ${MAX_PAGE_MM.shorter}mm}</style>`, {})).toMatchObject({ source: 'css' })
  expect(() => pageSizeFor('<p>', { size: { widthMm: 5000, heightMm: 100 } })).toThrow(expect.objectContaining({ limit: 'size' }))
})

test.each([
  ['../../x', '__.._x'],
  ['a/b\\c', 'a_b_c'],
  ['..', '_'],
  ['', '_'],
  ['订单-001.A', '订单-001.A'],
  ['x\u0000y', 'x_y'],
])('safeFileName(%p) is %p', (name, expected) => {
  const safe = safeFileName(name)
  expect(safe).toBe(expected)
  expect(safe).not.toMatch(/[\\/\u0000]/)
  expect(safe.startsWith('.')).toBe(false)
})
