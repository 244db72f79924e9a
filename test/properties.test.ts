/**
 * Property tests. PROPERTY_RUNS sets the runs per property (2,000 by default, as in CI;
 * `npm run test:long` runs 50,000).
 */
import fc from 'fast-check'
import * as iconv from 'iconv-lite'
import JSONBigIntFactory = require('json-bigint')
import { createGetOrderHandler } from '../src/core/handler'
import { readAccessConfig } from '../src/config'
import { lookupErrcode } from '../src/errors/table'
import { decodePrintHtml } from '../src/decode/decode'
import { validateEvent, validateEventBySchema } from '../src/event/validate'
import { checkedText, type DecodePaths, decodePaths, FAST_FROM, setDecodePaths, TRIALS } from '../src/decode/fastDecode'
import { scanPortable, scanSimd, scanUtf8 } from '../src/decode/textScan'
import { referenceDecodePrintHtml } from './support/referenceDecoder'
import type { Transport } from '../src/transport/types'
import type { ErrorCode, Result } from '../src/types'

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000)
const ADMIN = 'oADMIN-property-000001'
const JSONBig = JSONBigIntFactory({ useNativeBigInt: false })
jest.setTimeout(Math.max(30_000, RUNS * 20))

function recordingHandler(answer: () => unknown) {
  const calls: { api: string; request: unknown }[] = []
  const transport: Transport = {
    name: 'property',
    getOrder: async (request) => (calls.push({ api: 'getOrder', request }), answer()),
    batchGetOrder: async (request) => (calls.push({ api: 'batchGetOrder', request }), answer()),
  }
  const handler = createGetOrderHandler({
    transport,
    caller: () => ADMIN,
    access: () => readAccessConfig({ ADMIN_OPENIDS: ADMIN }),
    random: () => 0,
  })
  return { handler, calls }
}

// ---- 1. events ------------------------------------------------------------------------------

type Tagged = { value: unknown; valid: boolean }
const ok = (a: fc.Arbitrary<unknown>) => a.map((value): Tagged => ({ value, valid: true }))
const bad = (a: fc.Arbitrary<unknown>) => a.map((value): Tagged => ({ value, valid: false }))
const CONTROL = fc.constantFrom('\u0000', '\n', '\t', '\u001f', '\u007f', '\u0085')
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }))

// Each field: values the contract accepts, and values it does not, tagged by construction.
const FIELDS: Record<string, fc.Arbitrary<Tagged>> = {
  orderId: fc.oneof(
    ok(fc.string({ minLength: 1, maxLength: 128 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s))),
    bad(fc.constant('')),
    bad(fc.string({ minLength: 129, maxLength: 200 })),
    bad(fc.tuple(fc.string({ maxLength: 10 }), CONTROL, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b)),
    bad(notString),
  ),
  deliveryId: fc.oneof(ok(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/)), bad(fc.constantFrom('', 'S F', '顺丰', 'A'.repeat(33), 'SF\n', 'S.F')), bad(notString)),
  waybillId: fc.oneof(ok(fc.string({ minLength: 1, maxLength: 128 })), bad(fc.constant('')), bad(fc.string({ minLength: 129, maxLength: 140 })), bad(notString)),
  openid: fc.oneof(ok(fc.string({ minLength: 1, maxLength: 128 })), bad(fc.constant('')), bad(notString)),
  printType: fc.oneof(
    ok(fc.constantFrom(0, 1)),
    bad(
      fc.oneof(
        fc.integer().filter((n) => n !== 0 && n !== 1),
        fc.constantFrom('0', '1', true, 0.5, null),
      ),
    ),
  ),
  customRemark: fc.oneof(ok(fc.string({ maxLength: 512 })), bad(fc.string({ minLength: 513, maxLength: 600 })), bad(notString)),
  printHtmlAs: fc.oneof(ok(fc.constantFrom('text', 'none')), bad(fc.oneof(fc.string(), notString).filter((v) => !['text', 'file', 'none'].includes(v as string)))),
  userInfo: ok(fc.anything()),
  order_id: bad(fc.string()),
  orderID: bad(fc.string()),
  extra: bad(fc.anything()),
}

const nearValidEvent = fc.record(FIELDS, { requiredKeys: [] }).map((fields) => {
  const event: Record<string, unknown> = {}
  let valid = 'orderId' in fields && 'deliveryId' in fields
  for (const [k, t] of Object.entries(fields) as [string, Tagged][]) {
    event[k] = t.value
    valid &&= t.valid
  }
  return { event: event as unknown, valid }
})
const anyJson = fc.jsonValue().map((event) => ({ event: event as unknown, valid: undefined as boolean | undefined }))

test("the common events' hand-checked path answers exactly as the schema does", () => {
  const surrogates = fc
    .string({ unit: fc.constantFrom('\ud800', '\udc00', '\ud83d\ude00', 'a', '顺') })
    .map((s) => ({ event: { orderId: s || 'x', deliveryId: 'SF', waybillId: s || 'w' } as unknown, valid: undefined as boolean | undefined }))
  const appid = fc.oneof(fc.constantFrom('wx0123456789abcdef', 'wxMERCHANT00000001', 'wx01234', 'WX0123456789abcdef', 'wx0123456789abcde!'), fc.string({ maxLength: 20 }))
  const withAppid = fc.tuple(nearValidEvent, appid).map(([e, a]) => ({ event: { ...(e.event as object), authorizerAppid: a } as unknown, valid: undefined as boolean | undefined }))
  fc.assert(
    fc.property(fc.oneof(nearValidEvent, anyJson, surrogates, withAppid), ({ event }) => {
      expect(validateEvent(event)).toEqual(validateEventBySchema(event))
    }),
    { numRuns: RUNS },
  )
})

test('arbitrary events never throw, and either reach WeChat exactly mapped or fail with INVALID_ARGUMENT', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: nearValidEvent, weight: 4 }, { arbitrary: anyJson, weight: 1 }), async ({ event, valid }) => {
      const { handler, calls } = recordingHandler(() => ({ order_status: 0 }))
      const r: Result = await handler(event, { time_limit_in_ms: 3000 })
      expect(typeof r.requestId).toBe('string')
      if (valid !== undefined) expect(r.ok).toBe(valid)
      if (!r.ok) {
        expect(r.error.code).toBe('INVALID_ARGUMENT')
        expect(calls).toHaveLength(0)
        return
      }
      const e = event as Record<string, unknown>
      const expected: Record<string, unknown> = { order_id: e.orderId, delivery_id: e.deliveryId, openid: e.openid ?? ADMIN }
      if (e.waybillId !== undefined) expected.waybill_id = e.waybillId
      if (e.printType !== undefined) expected.print_type = e.printType
      if (e.customRemark !== undefined) expected.custom_remark = e.customRemark
      expect(calls).toEqual([{ api: 'getOrder', request: expected }])
    }),
    { numRuns: RUNS },
  )
})

// ---- 2. upstream answers --------------------------------------------------------------------

const LABEL = '<html><body>顺丰速运 收件人</body></html>'
const bigNumber = fc.bigInt({ min: 2n ** 60n, max: 2n ** 80n }).map((n) => JSONBig.parse(`{"v":${n}}`).v as unknown)
const printHtml = fc.oneof(
  fc.constant({ v: Buffer.from(LABEL).toString('base64'), kind: 'label' }),
  fc.constant({ v: Buffer.from(LABEL).toString('base64url'), kind: 'label' }),
  fc.constantFrom(undefined, null, '').map((v) => ({ v, kind: 'missing' })),
  fc.oneof(fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 })).map((v) => ({ v, kind: 'invalid' })),
  fc.string().map((v) => ({ v, kind: 'any' })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ v: Buffer.from(b).toString('base64'), kind: 'any' })),
  fc.string({ minLength: 70_000, maxLength: 80_000, unit: fc.constantFrom('A', 'b', '+', '/', '=', '\n') }).map((v) => ({ v, kind: 'any' })),
)
const id = fc.oneof(fc.string(), fc.integer(), bigNumber, fc.constant(null), fc.object({ maxDepth: 1 }), fc.array(fc.integer(), { maxLength: 2 }))
const status = fc.oneof(fc.constantFrom(0, 1), fc.integer(), fc.double(), fc.string(), fc.constant(null), bigNumber)
const waybill = fc.oneof(fc.array(fc.record({ key: fc.string(), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }), { maxLength: 4 }), fc.constant(null), fc.jsonValue({ maxDepth: 2 }))
const answer = fc
  .record(
    {
      print_html: printHtml,
      waybill_data: waybill,
      order_id: id,
      delivery_id: id,
      waybill_id: id,
      order_status: status,
      errcode: fc.oneof(fc.constant(0), fc.integer({ min: -700000, max: 9400000 }), fc.string()),
      errmsg: fc.string(),
    },
    { requiredKeys: ['print_html'] },
  )
  .map((a) => {
    const raw: Record<string, unknown> = { ...a, print_html: a.print_html.v }
    if (a.print_html.v === undefined) delete raw.print_html
    return { raw, labelKind: a.print_html.kind }
  })
const anyAnswer = fc.anything().map((raw) => ({ raw: raw as unknown, labelKind: 'any' }))

test('arbitrary upstream answers never throw: an order with the right warnings, an errcode error, or BAD_RESPONSE', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: answer, weight: 5 }, { arbitrary: anyAnswer, weight: 1 }), async ({ raw, labelKind }) => {
      const { handler } = recordingHandler(() => raw)
      const r: Result = await handler({ orderId: 'o1', deliveryId: 'SF' }, { time_limit_in_ms: 3000 })
      const rec = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined
      // An errcode sent as a numeric string ("40001") counts as that number.
      const raw_ = rec?.errcode
      const errcode = typeof raw_ === 'string' && /^-?\d+$/.test(raw_) ? Number(raw_) : raw_
      if (typeof errcode === 'number' && errcode !== 0) {
        expect(r.ok).toBe(false)
        if (!r.ok) {
          const expected: ErrorCode = lookupErrcode(errcode)?.code ?? 'WECHAT_ERROR'
          expect(r.error.code).toBe(expected)
          expect(r.error.wxErrCode).toBe(errcode)
        }
        return
      }
      if (!r.ok) {
        // Retryable codes are retried; 'any' answers must otherwise be unusable, never a crash.
        expect(r.error.code).toBe('BAD_RESPONSE')
        return
      }
      if (!('order' in r)) throw new Error('single event gave a batch result')
      const printWarnings = r.warnings.filter((w) => w.code.startsWith('PRINT_HTML_'))
      expect(printWarnings.length).toBe(r.order.printHtml === null ? 1 : 0)
      expect(r.warnings.some((w) => w.code === 'UNKNOWN_ORDER_STATUS')).toBe(r.order.status === 'unknown')
      expect(r.order.status === 'normal' ? 0 : r.order.status === 'cancelled' ? 1 : undefined).toBe(r.order.status === 'unknown' ? undefined : r.order.statusCode)
      if (labelKind === 'label') expect(r.order.printHtml).toBe(LABEL)
      if (labelKind === 'missing') expect(printWarnings[0]?.code).toBe('PRINT_HTML_MISSING')
      if (labelKind === 'invalid') expect(printWarnings[0]?.code).toBe('PRINT_HTML_INVALID_BASE64')
      for (const [k, v] of Object.entries(r.order.waybillData)) expect(typeof k === 'string' && typeof v === 'string').toBe(true)
      expect(JSON.parse(JSON.stringify(r))).toEqual(r)
    }),
    { numRuns: RUNS },
  )
})

// ---- 3. the label round trip ----------------------------------------------------------------

// Text a label can hold: no control characters, no U+FFFD, no leading BOM (it would be dropped).
const labelText = fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/.test(s) && !s.startsWith('\ufeff'))

function base64Variant(bytes: Buffer, v: { urlSafe: boolean; unpadded: boolean; wrap: boolean }): string {
  let s = bytes.toString(v.urlSafe ? 'base64url' : 'base64')
  if (v.urlSafe && !v.unpadded) s += '='.repeat((4 - (s.length % 4)) % 4)
  if (!v.urlSafe && v.unpadded) s = s.replace(/=+$/, '')
  if (v.wrap) s = s.replace(/(.{76})/g, '$1\r\n')
  return s
}
const variant = fc.record({ urlSafe: fc.boolean(), unpadded: fc.boolean(), wrap: fc.boolean() })

test('any HTML text encoded as UTF-8 (with or without BOM) and base64 decodes to itself', () => {
  fc.assert(
    fc.property(labelText, fc.boolean(), variant, (text, bom, v) => {
      const html = `<html><head><meta charset="utf-8"></head><body>${text}</body></html>`
      const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(html, 'utf8')])
      expect(decodePrintHtml(base64Variant(bytes, v))).toEqual({ html, size: { utf8Bytes: Buffer.byteLength(html) } })
    }),
    { numRuns: RUNS },
  )
})

test('any HTML text encoded as GB18030 with its meta charset, and base64, decodes to itself', () => {
  fc.assert(
    fc.property(labelText, fc.constantFrom('gb18030', 'GBK', 'gb2312'), variant, (text, charset, v) => {
      const html = `<html><head><meta charset="${charset}"></head><body>${text}</body></html>`
      expect(decodePrintHtml(base64Variant(iconv.encode(html, 'gb18030'), v))).toEqual({ html })
    }),
    { numRuns: RUNS },
  )
})

// ---- 4. the fast decode path against the decoder it replaced ----------------------------------

// Bytes a label might be made of, and some it must never be: controls, C1 (C2 80–9F), U+FFFD,
// a BOM, broken UTF-8, GB18030, quotes and backslashes, at every alignment.
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom('<', '>', '"', '\\', '\t', '\n', '\r', '<p class="a">', '顺丰', '·', '°', '，').map((s) => Buffer.from(s, 'utf8')),
  fc.integer({ min: 0, max: 0x9f }).map((c) => Buffer.from(String.fromCharCode(c), 'utf8')),
  fc.constantFrom([0xef, 0xbf, 0xbd], [0xef, 0xbb, 0xbf], [0xc2], [0xe9, 0xa1], [0xff], [0x80], [0xd5, 0xe2]).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 8 }).map((s) => iconv.encode(s, 'gb18030')),
  // Runs of three-byte characters (Chinese text), which the widening takes four at a time.
  fc.array(fc.oneof(fc.integer({ min: 0x800, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xffff })), { maxLength: 20 }).map((cps) => Buffer.from(String.fromCharCode(...cps), 'utf8')),
)
const labelBytes = fc
  .tuple(fc.constantFrom('', '<meta charset="gbk">', '<meta charset=utf-8>', '\ufeff<p>'), fc.array(piece, { maxLength: 24 }))
  .map(([head, parts]) => Buffer.concat([Buffer.from(head, 'utf8'), ...parts]))
// Text that is or is nearly base64: a character changed, added or taken away, the padding moved,
// whitespace, the other alphabet, a character read by its low byte ('Ł' as 'A').
const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('none', 'none', 'insert', 'replace', 'delete', 'wrap', 'urlsafe', 'unpad', 'pad'),
  ch: fc.constantFrom('=', '==', 'Ł', 'Ā', 'Á', '!', ' ', '\n', '\f', '-', '_', '+', '/', 'A', '\u0000', '\u00ff', '😀'),
})
function edited(b64: string, e: { at: number; kind: string; ch: string }): string {
  const i = b64.length === 0 ? 0 : e.at % (b64.length + 1)
  switch (e.kind) {
    case 'insert':
      return b64.slice(0, i) + e.ch + b64.slice(i)
    case 'replace':
      return b64.slice(0, i) + e.ch + b64.slice(i + 1)
    case 'delete':
      return b64.slice(0, i) + b64.slice(i + 1)
    case 'wrap':
      return b64.replace(/(.{8})/g, '$1\n')
    case 'urlsafe':
      return b64.replace(/\+/g, '-').replace(/\//g, '_')
    case 'unpad':
      return b64.replace(/=+$/, '')
    case 'pad':
      return `${b64}=`
    default:
      return b64
  }
}
const anyPrintHtml = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(labelBytes, edit).map(([b, e]) => edited(b.toString('base64'), e)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCQUJD+/-_= \n\u0141'), maxLength: 40 }) },
)

/** The decode's answer for `input`, checked to be the reference decoder's (the same label or the same warning). */
function asReference(input: string) {
  const ours = decodePrintHtml(input)
  const reference = referenceDecodePrintHtml(input)
  expect(ours.html).toBe(reference.html)
  expect(ours.warning).toEqual(reference.warning)
  return ours
}

test('the fast decode path answers exactly as the decoder it replaced, and its JSON size is exact', () => {
  fc.assert(
    fc.property(anyPrintHtml, (input) => {
      const ours = asReference(input)
      if (ours.html !== null && ours.size !== undefined) expect(ours.size.utf8Bytes).toBe(Buffer.byteLength(ours.html))
    }),
    { numRuns: RUNS },
  )
})

// The WebAssembly steps (fastDecode.ts) against the reference, on every input size: each runtime
// measures which way it goes, so every combination is held here, whatever this runtime chose.
describe.each<DecodePaths>([
  { base64: 'wasm', text: 'wasm', from: 0 },
  { base64: 'wasm', text: 'builtin', from: 0 },
  { base64: 'builtin', text: 'wasm', from: 0 },
  { base64: 'wasm', text: 'builtin', textMostlyAscii: 'wasm', from: 0 },
  { base64: 'builtin', text: 'wasm', textMostlyAscii: 'builtin', from: 0 },
])('with the decode paths %o', (paths) => {
  beforeAll(() => setDecodePaths(paths))
  afterAll(() => setDecodePaths(undefined))

  test('the decode answers exactly as the reference decoder', () => {
    fc.assert(
      fc.property(anyPrintHtml, (input) => void asReference(input)),
      { numRuns: RUNS },
    )
  })

  test('long labels (many blocks, every tail length) decode as the reference does', () => {
    fc.assert(
      fc.property(fc.array(labelBytes, { minLength: 1, maxLength: 40 }), fc.nat(40), fc.boolean(), (parts, extra, urlSafe) => {
        const bytes = Buffer.concat([Buffer.from('<p>'), ...parts, Buffer.alloc(extra, 0x61)])
        asReference(bytes.toString(urlSafe ? 'base64url' : 'base64'))
      }),
      { numRuns: Math.max(200, Math.floor(RUNS / 4)) },
    )
  })
})

test('the counted JSON size of any label text is exact, at every alignment', () => {
  fc.assert(
    fc.property(labelBytes, fc.nat(7), (bytes, offset) => {
      fc.pre(require('buffer').isUtf8(bytes))
      const backing = Buffer.alloc(bytes.length + 8)
      bytes.copy(backing, offset)
      const scan = scanUtf8(backing.subarray(offset, offset + bytes.length), true)
      const text = bytes.toString('utf8')
      const refused = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/.exec(text)
      expect(scan.bad).toBe(refused ? refused[0].charCodeAt(0) : undefined)
      if (!refused) expect(bytes.length + scan.escapes + 2).toBe(Buffer.byteLength(JSON.stringify(text)))
    }),
    { numRuns: RUNS },
  )
})

test('the SIMD pass finds what the portable pass finds, and counts the same, with the multi-byte refusals in it or not', () => {
  expect(scanSimd(Buffer.from('<p>a</p>'))).toBeDefined()
  fc.assert(
    fc.property(fc.array(labelBytes, { minLength: 1, maxLength: 4 }), fc.nat(15), fc.boolean(), fc.boolean(), (parts, offset, count, wide) => {
      const bytes = Buffer.concat(parts)
      const backing = Buffer.alloc(bytes.length + 16)
      bytes.copy(backing, offset)
      const view = backing.subarray(offset, offset + bytes.length)
      const simd = scanSimd(view, count, wide)!
      const portable = scanPortable(view, count)
      expect(simd.bad).toBe(portable.bad)
      if (simd.bad === undefined && count) expect(simd.escapes).toBe(portable.escapes)
    }),
    { numRuns: RUNS },
  )
})

test('the check made on the widened UTF-16 finds what the byte pass finds, counts the same, and makes the same text', () => {
  setDecodePaths({ base64: 'wasm', text: 'wasm', from: 0 })
  try {
    fc.assert(
      fc.property(fc.array(labelBytes, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, count) => {
        const bytes = Buffer.concat(parts)
        fc.pre(require('buffer').isUtf8(bytes))
        const checked = checkedText(bytes, count)!
        const portable = scanPortable(bytes, count)
        expect(checked.bad).toBe(portable.bad)
        if (checked.bad === undefined) {
          expect(checked.text).toBe(bytes.toString('utf8'))
          if (count) expect(checked.escapes).toBe(portable.escapes)
        }
      }),
      { numRuns: RUNS },
    )
  } finally {
    setDecodePaths(undefined)
  }
})

test('the equivalence property reaches every outcome (so it can tell the decoders apart)', () => {
  const seen = new Set<string>()
  fc.assert(
    fc.property(anyPrintHtml, (input) => {
      const r = decodePrintHtml(input)
      seen.add(r.html !== null ? (r.size !== undefined ? 'utf8' : 'gb') : `${r.warning.code}:${r.warning.message.replace(/\d+ bytes/, 'n bytes').replace(/U\+[0-9A-F]{4}/, 'U+X')}`)
    }),
    { numRuns: 3000, seed: 15 },
  )
  for (const outcome of [
    'utf8',
    'gb',
    'PRINT_HTML_INVALID_BASE64:print_html is not valid base64: it has characters outside the base64 alphabet.',
    'PRINT_HTML_INVALID_BASE64:print_html is not valid base64: its length is not that of any base64 text.',
    'PRINT_HTML_NOT_HTML:print_html decodes to n bytes that are not label HTML: it has the control character U+X.',
    'PRINT_HTML_NOT_HTML:print_html decodes to n bytes that are not label HTML: it is neither UTF-8 nor GB18030 text.',
  ]) {
    expect(seen).toContain(outcome)
  }
})

test('on trial, labels go both ways in turn and answer alike; then each step keeps one way', () => {
  setDecodePaths(undefined)
  try {
    const html = `<html><body>${'<td style="width:1mm">收件人 王小明</td>'.repeat(400)}</body></html>`
    const input = Buffer.from(html).toString('base64')
    expect(input.length).toBeGreaterThanOrEqual(FAST_FROM)
    expect(decodePaths()).toBeUndefined()
    const same = () => {
      const ours = decodePrintHtml(input)
      expect(ours.html).toBe(referenceDecodePrintHtml(input).html)
      expect(ours.html).toBe(html)
    }
    for (let i = 0; i < 2 * TRIALS; i++) same()
    const chosen = decodePaths()
    expect(chosen).toMatchObject({ base64: expect.stringMatching(/^(wasm|builtin)$/), text: expect.stringMatching(/^(wasm|builtin)$/) })
    // Mostly-ASCII labels have a trial of their own, on the labels of that kind.
    expect(chosen!.textMostlyAscii).toBeUndefined()
    same()
    const markup = `<html><body>${'<td style="width:1mm;text-align:right">SKU-000123 规</td>'.repeat(400)}</body></html>`
    const markupInput = Buffer.from(markup).toString('base64')
    for (let i = 0; i < 2 * TRIALS; i++) expect(decodePrintHtml(markupInput).html).toBe(markup)
    expect(decodePaths()!.textMostlyAscii).toMatch(/^(wasm|builtin)$/)
  } finally {
    setDecodePaths(undefined)
  }
})
