import * as z from 'zod/mini'

/** CONTRACT §2 limits, exported so docs, tests and the mini-program client share them. */
export const LIMITS = {
  idMaxLength: 128,
  customRemarkMaxLength: 512,
  batchMaxOrders: 1000,
  deliveryIdPattern: /^[A-Za-z0-9_-]{1,32}$/,
} as const

// C0 controls and DEL; C1 controls too, since no order id legitimately carries them.
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/

interface FieldRule {
  schema: z.ZodMiniType
  /** completes "<field> must be …" */
  describe: string
}

const id = z.string().check(z.minLength(1), z.maxLength(LIMITS.idMaxLength))

export const FIELD_RULES = {
  orderId: {
    schema: id.check(z.regex(NO_CONTROL_CHARS)),
    describe: `a string of 1–${LIMITS.idMaxLength} characters with no control characters`,
  },
  deliveryId: {
    schema: z.string().check(z.regex(LIMITS.deliveryIdPattern)),
    describe: 'a carrier id of 1–32 letters, digits, "_" or "-" (e.g. "SF", "YTO", "ZTO")',
  },
  waybillId: { schema: id, describe: `a string of 1–${LIMITS.idMaxLength} characters` },
  openid: { schema: id, describe: `a string of 1–${LIMITS.idMaxLength} characters` },
  printType: {
    schema: z.union([z.literal(0), z.literal(1)]),
    describe: 'the number 0 (two-part label) or 1 (one-part label)',
  },
  customRemark: {
    schema: z.string().check(z.maxLength(LIMITS.customRemarkMaxLength)),
    describe: `a string of at most ${LIMITS.customRemarkMaxLength} characters`,
  },
  printHtmlAs: {
    schema: z.enum(['text', 'file', 'none']),
    describe: "one of 'text', 'file' or 'none'",
  },
} satisfies Record<string, FieldRule>

export type FieldName = keyof typeof FIELD_RULES

export const SINGLE_FIELDS = [
  'orderId',
  'deliveryId',
  'waybillId',
  'openid',
  'printType',
  'customRemark',
  'printHtmlAs',
] as const satisfies readonly FieldName[]
export const SINGLE_REQUIRED = ['orderId', 'deliveryId'] as const
export const BATCH_FIELDS = ['orders', 'printHtmlAs'] as const
export const BATCH_ITEM_FIELDS = ['orderId', 'deliveryId', 'waybillId'] as const satisfies readonly FieldName[]
/** Added by WeChat to every event sent from a mini program; not ours to judge. */
export const IGNORED_FIELDS = ['userInfo'] as const
export const ALL_EVENT_FIELDS: readonly string[] = [...SINGLE_FIELDS, 'orders']
