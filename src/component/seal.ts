import { createCipheriv, createDecipheriv, randomBytes } from 'crypto'

/** Refresh tokens at rest: AES-256-GCM under `TOKEN_STORE_KEY`, bound to the key they are stored at. */
export interface Sealer {
  seal(plain: string, context: string): string
  /** undefined when the text was not sealed by this key for this context */
  open(sealed: string, context: string): string | undefined
}

/** `TOKEN_STORE_KEY`: 32 bytes, as 64 hex digits or base64. */
export function sealerFrom(raw: string | undefined): Sealer | string {
  if (raw === undefined || raw === '') return 'TOKEN_STORE_KEY is not set: refresh tokens are stored encrypted under it (32 random bytes, as 64 hex digits or base64).'
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(raw) ? Buffer.from(raw, 'base64') : undefined
  if (key === undefined || key.length !== 32) return 'TOKEN_STORE_KEY must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32).'
  return {
    seal(plain, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${data.toString('base64url')}`
    },
    open(sealed, context) {
      const parts = sealed.split('.')
      if (parts.length !== 4 || parts[0] !== 'v1') return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64url'))
        decipher.setAAD(Buffer.from(context, 'utf8'))
        decipher.setAuthTag(Buffer.from(parts[2]!, 'base64url'))
        return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        return undefined
      }
    },
  }
}
