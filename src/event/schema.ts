import * as z from 'zod/mini'

/** docs/contract.md §2 limits, exported so docs, tests and the mini-program client share them. */
export const LIMITS = {
  idMaxLength: 128,
  customRemarkMaxLength: 512,
  batchMaxOrders: 1000,
  deliveryIdPattern: /^[A-Za-z0-9_-]{1,32}$/,
} as const

// C0 controls and DEL; C1 controls too, since no order id legitimately carries them.
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/
// An unpaired UTF-16 surrogate cannot be sent as UTF-8: it would reach WeChat as U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Lengths are counted in Unicode code points: 𠮷 (outside the BMP, two UTF-16 units) is one
 * character, as a person counts it. The API documents no unit for its own limits, so these bounds
 * are this function's.
 */
export function codePoints(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** A string of `min`–`max` code points with no unpaired surrogate. */
function text(min: number, max: number) {
  // Over twice the bound in UTF-16 units, it is over the bound in code points too: no need to count.
  return z.string().check(z.refine((s) => s.length <= 2 * max && !LONE_SURROGATE.test(s) && codePoints(s) >= min && codePoints(s) <= max))
}

interface FieldRule {
  schema: z.ZodMiniType
  /** completes "<field> must be …" */
  describe: string
}

const id = text(1, LIMITS.idMaxLength)

export const FIELD_RULES = {
  orderId: {
    schema: id.check(z.regex(NO_CONTROL_CHARS)),
    describe: `a string of 1–${LIMITS.idMaxLength} characters with no control characters or unpaired surrogates`,
  },
  deliveryId: {
    schema: z.string().check(z.regex(LIMITS.deliveryIdPattern)),
    describe: 'a carrier id of 1–32 letters, digits, "_" or "-" (e.g. "SF", "YTO", "ZTO")',
  },
  waybillId: { schema: id, describe: `a string of 1–${LIMITS.idMaxLength} characters with no unpaired surrogates` },
  openid: { schema: id, describe: `a string of 1–${LIMITS.idMaxLength} characters with no unpaired surrogates` },
  printType: {
    schema: z.union([z.literal(0), z.literal(1)]),
    describe: 'the number 0 (two-part label) or 1 (one-part label)',
  },
  customRemark: {
    schema: text(0, LIMITS.customRemarkMaxLength),
    describe: `a string of at most ${LIMITS.customRemarkMaxLength} characters with no unpaired surrogates`,
  },
  printHtmlAs: {
    schema: z.enum(['text', 'file', 'none']),
    describe: "one of 'text', 'file' or 'none'",
  },
  authorizerAppid: {
    schema: z.string().check(z.regex(/^wx[0-9A-Za-z]{16}$/)),
    describe: 'a mini program AppID ("wx" and 16 letters or digits)',
  },
} satisfies Record<string, FieldRule>

export type FieldName = keyof typeof FIELD_RULES

export const SINGLE_FIELDS = ['orderId', 'deliveryId', 'waybillId', 'openid', 'printType', 'customRemark', 'printHtmlAs', 'authorizerAppid'] as const satisfies readonly FieldName[]
export const SINGLE_REQUIRED = ['orderId', 'deliveryId'] as const
export const BATCH_FIELDS = ['orders', 'printHtmlAs', 'authorizerAppid'] as const
export const BATCH_ITEM_FIELDS = ['orderId', 'deliveryId', 'waybillId'] as const satisfies readonly FieldName[]
/** Added by WeChat to every event sent from a mini program; not ours to judge. */
export const IGNORED_FIELDS = ['userInfo'] as const
export const ALL_EVENT_FIELDS: readonly string[] = [...SINGLE_FIELDS, 'orders']
