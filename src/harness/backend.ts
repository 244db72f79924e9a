import { code128Svg } from './barcode'
import { labelBase64, type LabelSpec } from './labels'

/** What the fake upstream does with one call. Every tier (in-process SDK, gateway, HTTPS) renders these. */
export type Outcome =
  /** a WeChat JSON body (possibly with a non-zero errcode) */
  | { kind: 'json'; body: string }
  /** a CloudBase platform failure (`errorCode` in CommOpenApiResp) */
  | { kind: 'platform'; errorCode: number }
  /** an HTTP error status with no usable body */
  | { kind: 'http'; status: number }
  /** no answer at all */
  | { kind: 'silence' }

export interface DemoOrder {
  order_id: string
  delivery_id: string
  waybill_id: string
  order_status: number
  /** absent: the answer has no print_html */
  label?: LabelSpec
  /** a literal print_html, used as it is */
  printHtml?: string
  /**
   * Asked for the one-part label (`print_type` 1), the answer's print_html is empty: WeChat's
   * sandbox carrier TEST does this (developers.weixin.qq.com/community/develop/doc/000aea869488808760bdacfc95bc00).
   */
  onePartEmpty?: true
  waybill_data: { key: string; value: string }[]
}

export const DOC_EXAMPLE_PRINT_HTML = 'jh7DjipP4ul4CQYUh69cniskrQZuOPwa1inAbXIqKbU0t71c0s65Au54cdWBZW0QJY4LYeofdM'

const SENDER = { name: '王小店', phone: '020-8888****', address: '广东省广州市天河区体育西路 100 号 12 楼' }

function spec(orderId: string, deliveryId: string, waybillId: string, carrier: string, extra: Partial<LabelSpec> = {}): LabelSpec {
  return {
    orderId,
    deliveryId,
    waybillId,
    carrier,
    sender: SENDER,
    receiver: { name: '李先生', phone: '138****5678', address: '北京市朝阳区建国路 88 号 SOHO 现代城 5 号楼 1201' },
    goods: '图书 ×2（《物流管理》）',
    printType: 1,
    ...extra,
  }
}

/** The SF labels carry their waybill's Code 128, as SF's do: what a printer's bitmap must keep readable. */
function withBarcode(waybill: string): Partial<LabelSpec> {
  const barcode = code128Svg(waybill)
  return barcode !== undefined ? { barcode } : {}
}

const SURNAMES = ['李', '王', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴']
const STREETS = ['建国路', '人民路', '解放路', '中山路', '长安街', '淮海路', '天河路', '珠江路', '滨江路', '和平路']

/**
 * `DEMO-BULK-0001` … `DEMO-BULK-9999` (carrier SF): as many distinct orders as a merchant's day,
 * each label different (its own order id, waybill number, recipient and barcode) and the same size
 * and layout as the demo SF label. Made on first ask, so the store holds only what was read.
 */
export function bulkOrder(orderId: string, deliveryId: string): DemoOrder | undefined {
  const m = /^DEMO-BULK-(\d{4})$/.exec(orderId)
  const n = m ? Number(m[1]) : 0
  if (deliveryId !== 'SF' || n < 1) return undefined
  const waybill = `SF${String(1_300_000_000_000 + n * 7919)}`
  return {
    order_id: orderId,
    delivery_id: 'SF',
    waybill_id: waybill,
    order_status: 0,
    label: spec(orderId, 'SF', waybill, '顺丰速运', {
      ...withBarcode(waybill),
      receiver: {
        name: `${SURNAMES[n % 10]}先生${n}`,
        phone: `13${String(n).padStart(9, '0').slice(0, 1)}****${String(n % 10_000).padStart(4, '0')}`,
        address: `北京市朝阳区${STREETS[Math.floor(n / 10) % 10]} ${n} 号`,
      },
    }),
    waybill_data: [
      { key: 'SF_bagAddr', value: '广州' },
      { key: 'SF_mark', value: `101- ${String(n % 100).padStart(2, '0')}-03 509` },
    ],
  }
}

/** The demo store: several carriers, normal and cancelled, a GBK label, a large one, odd cases. */
export function demoOrders(): DemoOrder[] {
  return [
    {
      order_id: '01234567890123456789',
      delivery_id: 'SF',
      waybill_id: '123456789',
      order_status: 0,
      label: spec('01234567890123456789', 'SF', '123456789', '顺丰速运', withBarcode('123456789')),
      waybill_data: [
        { key: 'SF_bagAddr', value: '广州' },
        { key: 'SF_mark', value: '101- 07-03 509' },
      ],
    },
    {
      order_id: 'DEMO-YTO-0001',
      delivery_id: 'YTO',
      waybill_id: 'YT1234567890123',
      order_status: 0,
      label: spec('DEMO-YTO-0001', 'YTO', 'YT1234567890123', '圆通速递', { printType: 0 }),
      waybill_data: [
        { key: 'YTO_mark', value: '上海 200-012' },
        { key: 'YTO_package', value: '上海转运中心' },
      ],
    },
    {
      order_id: 'DEMO-ZTO-0001',
      delivery_id: 'ZTO',
      waybill_id: '73100012345678',
      order_status: 1,
      label: spec('DEMO-ZTO-0001', 'ZTO', '73100012345678', '中通快递'),
      waybill_data: [{ key: 'ZTO_mark', value: '杭州 A01' }],
    },
    {
      order_id: 'DEMO-GBK-0001',
      delivery_id: 'STO',
      waybill_id: '773012345678901',
      order_status: 0,
      label: spec('DEMO-GBK-0001', 'STO', '773012345678901', '申通快递', { charset: 'gbk' }),
      waybill_data: [{ key: 'STO_mark', value: '成都 西南 028' }],
    },
    {
      order_id: 'DEMO-LARGE-0001',
      delivery_id: 'SF',
      waybill_id: 'SF1500000000001',
      order_status: 0,
      label: spec('DEMO-LARGE-0001', 'SF', 'SF1500000000001', '顺丰速运', { padRows: 14200 }),
      waybill_data: [{ key: 'SF_bagAddr', value: '深圳' }],
    },
    {
      order_id: 'DEMO-NOLABEL-0001',
      delivery_id: 'JD',
      waybill_id: 'JD0001234567',
      order_status: 0,
      waybill_data: [{ key: 'JD_mark', value: '' }],
    },
    {
      order_id: 'DEMO-ODDSTATUS-0001',
      delivery_id: 'EMS',
      waybill_id: 'EE123456789CN',
      order_status: 2,
      label: spec('DEMO-ODDSTATUS-0001', 'EMS', 'EE123456789CN', '中国邮政EMS'),
      waybill_data: [],
    },
    {
      // WeChat's sandbox carrier: delivery_id TEST, biz_id test_biz_id; its two-part label only.
      order_id: 'DEMO-TEST-0001',
      delivery_id: 'TEST',
      waybill_id: 'TEST0000000001',
      order_status: 0,
      label: spec('DEMO-TEST-0001', 'TEST', 'TEST0000000001', '测试快递公司', { printType: 0 }),
      onePartEmpty: true,
      waybill_data: [{ key: 'TEST_mark', value: '测试 A-01' }],
    },
    {
      order_id: 'DEMO-DOCEXAMPLE-0001',
      delivery_id: 'SF',
      waybill_id: '123456',
      order_status: 0,
      printHtml: DOC_EXAMPLE_PRINT_HTML,
      waybill_data: [
        { key: 'SF_bagAddr', value: '广州' },
        { key: 'SF_mark', value: '101- 07-03 509' },
      ],
    },
  ]
}

/**
 * Named faults; each applies to every call until another is set. `flaky` fails the first call
 * with -1 and then serves normally.
 */
export const SCENARIOS = {
  normal: 'serve orders from the demo store',
  'errcode-40001': 'errcode 40001, invalid credential',
  'errcode-47001': 'errcode 47001, data format error',
  'errcode-9300507': 'errcode 9300507 (Token 不正确) for every order',
  'errcode-9300501': 'errcode 9300501, the carrier refused, with delivery_resultcode / delivery_resultmsg',
  'errcode-45009': 'errcode 45009, daily quota used up',
  'errcode-40164': 'errcode 40164, IP not in the whitelist',
  'platform--604101': 'platform errorCode -604101: the function lacks permissions.openapi',
  'bad-json': 'a body that is not JSON',
  'http-502': 'HTTP 502 from the gateway',
  silence: 'no answer at all',
  flaky: 'errcode -1 once, then normal',
  'doc-example': "the API documentation's own example response",
} as const
// Any scenario can also be played for one order: order id FAULT-<scenario>-<n>, e.g. FAULT-errcode-40001-7.
export type ScenarioName = keyof typeof SCENARIOS

export interface BackendCall {
  api: string
  request: Record<string, unknown>
}

export interface FakeBackend {
  /** every call made, in order */
  readonly calls: BackendCall[]
  scenario: ScenarioName
  /** what the upstream does with this call */
  answer(api: string, request: Record<string, unknown>): Outcome
  /** adds or replaces an order in the store */
  put(order: DemoOrder): void
  find(orderId: string, deliveryId: string): DemoOrder | undefined
}

export function isScenario(name: string): name is ScenarioName {
  return Object.prototype.hasOwnProperty.call(SCENARIOS, name)
}

/**
 * The fake logistics backend behind every fake tier. `api` is `logistics.getOrder` or
 * `logistics.batchGetOrder`; `request` is the snake_case request as WeChat would receive it.
 */
export function createBackend(options: { orders?: DemoOrder[]; scenario?: ScenarioName } = {}): FakeBackend {
  const store = new Map<string, DemoOrder>()
  const labels = new Map<DemoOrder, string>()
  const keyOf = (orderId: string, deliveryId: string) => `${orderId}\u0000${deliveryId}`
  for (const o of options.orders ?? demoOrders()) store.set(keyOf(o.order_id, o.delivery_id), o)
  let flakyFailed = false
  const flakyOrders = new Set<string>()

  const backend: FakeBackend = {
    calls: [],
    scenario: options.scenario ?? 'normal',
    put: (o) => {
      store.set(keyOf(o.order_id, o.delivery_id), o)
    },
    find: (orderId, deliveryId) => lookup(orderId, deliveryId),
    answer(api, request) {
      backend.calls.push({ api, request })
      // An order id `FAULT-<scenario>-…` plays that scenario for this call alone, so one run can mix them.
      const fault = typeof request.order_id === 'string' ? /^FAULT-(.+)-[^-]+$/.exec(request.order_id)?.[1] : undefined
      const s = fault !== undefined && isScenario(fault) ? fault : backend.scenario
      if (s === 'errcode-9300501') return json(CARRIER_REFUSED)
      if (s.startsWith('errcode-')) {
        const code = Number(s.slice('errcode-'.length))
        return json({ errcode: code, errmsg: ERRMSG[code] ?? 'error' })
      }
      if (s.startsWith('platform-')) return { kind: 'platform', errorCode: Number(s.slice('platform-'.length)) }
      if (s === 'bad-json') return { kind: 'json', body: '<html><body>502 upstream went away</body></html>' }
      if (s === 'http-502') return { kind: 'http', status: 502 }
      if (s === 'silence') return { kind: 'silence' }
      if (s === 'flaky' && fault !== undefined) {
        // Per order: the first call for it fails, the next one succeeds.
        const key = request.order_id as string
        if (!flakyOrders.has(key)) {
          flakyOrders.add(key)
          return json({ errcode: -1, errmsg: 'system error' })
        }
        return json({ errcode: 0, errmsg: 'ok', ...orderAnswer(store.get(keyOf('DEMO-ZTO-0001', 'ZTO'))!), order_id: key })
      }
      if (s === 'flaky' && !flakyFailed) {
        flakyFailed = true
        return json({ errcode: -1, errmsg: 'system error' })
      }
      if (s === 'doc-example') return json(DOC_EXAMPLE_ANSWER)
      if (api === 'logistics.batchGetOrder') return json(batchAnswer(request))
      if (api === 'logistics.getOrder') return json(singleAnswer(request))
      return json({ errcode: 48001, errmsg: 'api unauthorized' })
    },
  }

  /** An order of the store, or one of the bulk demo orders, made on first ask. */
  function lookup(orderId: string, deliveryId: string): DemoOrder | undefined {
    const known = store.get(keyOf(orderId, deliveryId))
    if (known !== undefined) return known
    const bulk = bulkOrder(orderId, deliveryId)
    if (bulk !== undefined) store.set(keyOf(orderId, deliveryId), bulk)
    return bulk
  }

  function labelOf(o: DemoOrder): string | undefined {
    if (o.printHtml !== undefined) return o.printHtml
    if (!o.label) return undefined
    let b64 = labels.get(o)
    if (b64 === undefined) {
      b64 = labelBase64(o.label)
      labels.set(o, b64)
    }
    return b64
  }

  function orderAnswer(o: DemoOrder): Record<string, unknown> {
    const answer: Record<string, unknown> = {}
    const label = labelOf(o)
    if (label !== undefined) answer.print_html = label
    answer.waybill_data = o.waybill_data
    answer.delivery_id = o.delivery_id
    answer.waybill_id = o.waybill_id
    answer.order_id = o.order_id
    answer.order_status = o.order_status
    return answer
  }

  function singleAnswer(req: Record<string, unknown>): Record<string, unknown> {
    if (typeof req.order_id !== 'string' || typeof req.delivery_id !== 'string') {
      return { errcode: 47001, errmsg: 'data format error' }
    }
    const o = lookup(req.order_id, req.delivery_id)
    if (!o) return { ...UNKNOWN_ORDER }
    const answer: Record<string, unknown> = { errcode: 0, errmsg: 'ok', ...orderAnswer(o) }
    if (o.onePartEmpty && req.print_type === 1) answer.print_html = ''
    return answer
  }

  function batchAnswer(req: Record<string, unknown>): Record<string, unknown> {
    const list = req.order_list
    if (!Array.isArray(list) || list.length === 0 || list.length > 100) return { errcode: 47001, errmsg: 'data format error' }
    const order_list = list.map((item: Record<string, unknown>) => {
      // A batch carries each item's own fault: FAULT-errcode-9300501-n refuses that order alone.
      if (typeof item.order_id === 'string' && item.order_id.startsWith('FAULT-errcode-9300501-')) {
        return { ...CARRIER_REFUSED, order_id: item.order_id, delivery_id: item.delivery_id }
      }
      const o = lookup(String(item.order_id), String(item.delivery_id))
      if (!o) return { ...UNKNOWN_ORDER, order_id: item.order_id, delivery_id: item.delivery_id }
      return { errcode: 0, errmsg: 'ok', ...orderAnswer(o) }
    })
    return { errcode: 0, errmsg: 'ok', order_list }
  }

  return backend
}

/**
 * What getOrder really answers for an order that has no waybill: a public report of a real answer
 * (developers.weixin.qq.com/community/develop/doc/00000c29f24070553bbe4afac56c00).
 */
export const UNKNOWN_ORDER = { errcode: 9300528, errmsg: 'invalid waybill_id rid: 634cf7a0-211d4efa-7fadeeba' }

/** A carrier's refusal as WeChat passes it on (shape of the real answers cited in errors/table.ts). */
export const CARRIER_REFUSED = {
  errcode: 9300501,
  errmsg: 'delivery logic fail rid: 61b425fa-05c081b0-4607bbf2',
  delivery_resultcode: 10002,
  delivery_resultmsg: '客户密码不正确',
}

const ERRMSG: Record<number, string> = {
  40001: 'invalid credential, access_token is invalid or not latest',
  47001: 'data format error',
  9300507: 'Token 不正确',
  45009: 'reach max api daily quota limit',
  40164: 'invalid ip 192.0.2.10, not in whitelist',
  [-1]: 'system error',
}

/** The response example of the API's documentation, verbatim. */
export const DOC_EXAMPLE_ANSWER = {
  print_html: DOC_EXAMPLE_PRINT_HTML,
  waybill_data: [
    { key: 'SF_bagAddr', value: '广州' },
    { key: 'SF_mark', value: '101- 07-03 509' },
  ],
  delivery_id: 'SF',
  waybill_id: '123456',
  order_id: '123456',
  order_status: 0,
}

function json(body: unknown): Outcome {
  return { kind: 'json', body: JSON.stringify(body) }
}
