import * as iconv from 'iconv-lite'
import { DOC_EXAMPLE_PRINT_HTML } from '../harness/backend'
import { bytesToText, decodePrintHtml, EXACT_JSON_FROM } from './decode'

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64')
// What JSON.stringify makes of the text, in UTF-8 bytes: the size a large UTF-8 label reports.
const jsonBytes = (html: string) => Buffer.byteLength(JSON.stringify(html))
const sized = (html: string) => ({ html, size: { utf8Bytes: Buffer.byteLength(html) } })
const LABEL = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>顺丰速运 收件人：李先生\n</body></html>'

describe('decodePrintHtml', () => {
  test('a UTF-8 label comes back as the same text', () => {
    expect(decodePrintHtml(b64(LABEL))).toEqual(sized(LABEL))
  })

  test('a UTF-8 BOM is dropped', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(LABEL)])
    expect(decodePrintHtml(b64(withBom))).toEqual(sized(LABEL))
  })

  test('a GBK label that says so in <meta charset> is decoded as GB18030', () => {
    const html = '<html><head><meta charset="gbk"><title>申通快递</title></head><body>收 李先生 北京市朝阳区</body></html>'
    expect(decodePrintHtml(b64(iconv.encode(html, 'gbk')))).toEqual({ html })
  })

  test.each(['GB2312', 'gb18030', 'GBK'])('the http-equiv form with charset=%s counts too', (cs) => {
    const html = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=${cs}"></head><body>圆通速递</body></html>`
    expect(decodePrintHtml(b64(iconv.encode(html, 'gb18030')))).toEqual({ html })
  })

  test('GB18030 bytes without a meta tag are decoded by the fallback', () => {
    const html = '<div>中通快递 杭州 A01</div>'
    const bytes = iconv.encode(html, 'gb18030')
    expect(bytes.equals(Buffer.from(html))).toBe(false)
    expect(decodePrintHtml(b64(bytes))).toEqual({ html })
  })

  test('valid UTF-8 wins over the fallback', () => {
    expect(bytesToText(Buffer.from('<p>€ 中文</p>'))).toBe('<p>€ 中文</p>')
  })

  test("the API documentation's example print_html is not a label", () => {
    const r = decodePrintHtml(DOC_EXAMPLE_PRINT_HTML)
    expect(r.html).toBeNull()
    expect(r.warning?.code).toBe('PRINT_HTML_NOT_HTML')
  })

  test.each([[undefined], [null], ['']])('%p is PRINT_HTML_MISSING', (v) => {
    expect(decodePrintHtml(v).warning?.code).toBe('PRINT_HTML_MISSING')
  })

  test.each([[42], [{}], [['PGI+']]])('a non-string %p is PRINT_HTML_INVALID_BASE64', (v) => {
    expect(decodePrintHtml(v).warning?.code).toBe('PRINT_HTML_INVALID_BASE64')
  })

  test('bad base64 is PRINT_HTML_INVALID_BASE64', () => {
    expect(decodePrintHtml('PGI+*').warning?.code).toBe('PRINT_HTML_INVALID_BASE64')
  })

  test.each([
    ['plain text with no tag', 'just words, no markup'],
    ['a control character', '<b>label</b>\u0007'],
    ['a C1 control character', '<b>label\u0085</b>'],
    ['a replacement character', '<b>label\ufffd</b>'],
  ])('%s is PRINT_HTML_NOT_HTML', (_name, text) => {
    const r = decodePrintHtml(b64(text))
    expect(r.html).toBeNull()
    expect(r.warning?.code).toBe('PRINT_HTML_NOT_HTML')
  })

  test('tab, CR and LF are allowed', () => {
    const html = '<p>\ta\r\nb "q" \\ </p>'
    expect(decodePrintHtml(b64(html))).toEqual(sized(html))
  })

  test.each([
    ['just under', EXACT_JSON_FROM - 1, false],
    ['at', EXACT_JSON_FROM, true],
  ])('a label %s EXACT_JSON_FROM bytes has its JSON size counted: %s', (_name, bytes, counted) => {
    const unit = '<p class="a">\t顺丰\\</p>\n'
    const k = Math.floor(bytes / Buffer.byteLength(unit))
    const html = unit.repeat(k) + 'x'.repeat(bytes - k * Buffer.byteLength(unit))
    expect(Buffer.byteLength(html)).toBe(bytes)
    const r = decodePrintHtml(b64(html))
    expect(r.html).toBe(html)
    const size = (r as { size?: { utf8Bytes: number; jsonBytes?: number } }).size
    expect(size?.utf8Bytes).toBe(bytes)
    expect(size?.jsonBytes).toBe(counted ? jsonBytes(html) : undefined)
  })

  test('the warning never quotes the label', () => {
    const secretish = '<b>收件人 13800138000</b>\u0001'
    const r = decodePrintHtml(b64(secretish))
    expect(r.warning?.message).not.toContain('13800138000')
  })
})

describe('a declaration that is wrong, and an answer of only whitespace', () => {
  const html = '<html><head><meta charset="gbk"></head><body>中通快递 收件人 张三 北京市朝阳区建国路 88 号</body></html>'

  test('valid UTF-8 that declares gbk is decoded by its bytes, not dropped', () => {
    const r = decodePrintHtml(Buffer.from(html, 'utf8').toString('base64'))
    expect(r).toEqual({ html })
  })

  test('real GBK that declares gbk is still decoded as declared', () => {
    const r = decodePrintHtml(iconv.encode(html, 'gbk').toString('base64'))
    expect(r).toEqual({ html })
  })

  test.each(['   ', '\n', '\t\r\n ', ''])('print_html %j is PRINT_HTML_MISSING', (blank) => {
    expect(decodePrintHtml(blank)).toMatchObject({ html: null, warning: { code: 'PRINT_HTML_MISSING' } })
  })
})
