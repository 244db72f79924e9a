import { cssPageSize, DEFAULT_SIZES, LabelRenderError, pageSizeFor, renderLabel } from './render'

test.each<[string, { widthMm: number; heightMm: number } | undefined]>([
  ['@page { size: 100mm 150mm; margin: 0; }', { widthMm: 100, heightMm: 150 }],
  ['@page{size:10cm 18cm}', { widthMm: 100, heightMm: 180 }],
  ['@page { margin: 0; size: 4in 6in }', { widthMm: 101.6, heightMm: 152.4 }],
  ['@page :first { size: 76mm 130mm }', { widthMm: 76, heightMm: 130 }],
  ['@page { size: A6 }', { widthMm: 105, heightMm: 148 }],
  ['@page { size: a5 landscape }', { widthMm: 210, heightMm: 148 }],
  ['@page { margin: 0 }', undefined],
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
  expect(pageSizeFor('<style>@page{size:76mm 130mm}</style>', { size: { widthMm: 1, heightMm: 2 } })).toEqual({ widthMm: 76, heightMm: 130, source: 'css' })
  expect(pageSizeFor('<p>', { size: { widthMm: 1, heightMm: 2 } })).toEqual({ widthMm: 1, heightMm: 2, source: 'option' })
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
