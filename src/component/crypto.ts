import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'crypto'

/**
 * The third-party platform's message encryption, as WeChat documents it ("消息加解密技术方案":
 * developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Technical_Plan.html):
 *
 * - AESKey = Base64_Decode(EncodingAESKey + "="): 32 bytes from the 43-character key.
 * - AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 padding to a multiple of 32 bytes.
 * - plaintext = 16 random bytes ‖ the message's length (4 bytes, big-endian) ‖ message ‖ AppID.
 * - msg_signature = SHA-1 of the token, timestamp, nonce and the Encrypt text, sorted and joined.
 */
export const PKCS7_BLOCK = 32

/** A 43-character EncodingAESKey of letters and digits, or why it is not one. */
export function aesKeyOf(encodingAesKey: string): Buffer | string {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) return 'WX_COMPONENT_AES_KEY must be the 43-character EncodingAESKey (letters and digits) from the platform settings.'
  const key = Buffer.from(`${encodingAesKey}=`, 'base64')
  return key.length === 32 ? key : 'WX_COMPONENT_AES_KEY does not decode to 32 bytes.'
}

export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex')
}

/** Compares signatures in constant time. */
export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(given, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

export type Decrypted = { ok: true; message: string; appid: string } | { ok: false; why: string }

/** Decrypts an `Encrypt` value; the AppID at its end must be `appid`. Never throws. */
export function decryptMessage(key: Buffer, encrypt: string, appid: string): Decrypted {
  let plain: Buffer
  try {
    const data = Buffer.from(encrypt, 'base64')
    if (data.length === 0 || data.length % 16 !== 0) return { ok: false, why: 'the ciphertext is not whole AES blocks' }
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    decipher.setAutoPadding(false)
    plain = Buffer.concat([decipher.update(data), decipher.final()])
  } catch {
    return { ok: false, why: 'the ciphertext does not decrypt' }
  }
  const pad = plain[plain.length - 1]!
  if (pad < 1 || pad > PKCS7_BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) return { ok: false, why: 'the padding is not PKCS#7' }
  const body = plain.subarray(0, plain.length - pad)
  if (body.length < 20) return { ok: false, why: 'the plaintext is too short' }
  const length = body.readUInt32BE(16)
  if (20 + length > body.length) return { ok: false, why: 'the message length is past the end' }
  const from = body.subarray(20 + length).toString('utf8')
  if (from !== appid) return { ok: false, why: `the message is for another AppID (${from.slice(0, 32)})` }
  return { ok: true, message: body.subarray(20, 20 + length).toString('utf8'), appid: from }
}

/** Encrypts a message as WeChat does (for replies, and for the fake server's pushes). */
export function encryptMessage(key: Buffer, message: string, appid: string, random: Buffer = randomBytes(16)): string {
  const msg = Buffer.from(message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(msg.length, 0)
  const body = Buffer.concat([random, length, msg, Buffer.from(appid, 'utf8')])
  const pad = PKCS7_BLOCK - (body.length % PKCS7_BLOCK)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64')
}
