import { randomBytes } from 'crypto'
import { UpstreamError } from '../errors/upstream'
import type { SelfTestCheck } from '../types'
import type { StoreContext } from './context'

/**
 * The deployment self-test's storage rows: the records collection answers a read, and a file of
 * its own goes through write → temporary URL → delete. Nothing is left behind that it wrote.
 */
export async function selfCheck(ctx: StoreContext): Promise<SelfTestCheck[]> {
  const { records, files } = ctx
  const checks: SelfTestCheck[] = []
  try {
    await records.expired(0, 1)
    checks.push({ name: 'records', ok: true, detail: 'The label records collection answered a read.' })
  } catch (err) {
    checks.push({
      name: 'records',
      ok: false,
      detail: `The label records collection did not answer: ${describe(err)}.`,
      fix: 'Check LABEL_RECORDS_COLLECTION and that the database is enabled in the environment; the function creates the collection on first use.',
      ...codeOf(err),
    })
  }
  const cloudPath = `waybills/_selftest/${randomBytes(8).toString('hex')}.txt`
  let fileID: string | undefined
  let step = 'write'
  try {
    fileID = await files.upload(cloudPath, Buffer.from('getOrder self-test\n'))
    ctx.learn(fileID, cloudPath)
    step = 'temporary URL'
    await files.tempUrl(fileID, 60)
    step = 'delete'
    const { failed } = await files.remove([fileID])
    if (failed.length > 0) throw new UpstreamError('network', 'Cloud storage did not delete the file.')
    checks.push({ name: 'storage', ok: true, detail: 'Cloud storage took a file, issued a temporary URL for it and deleted it.' })
  } catch (err) {
    if (fileID !== undefined && step !== 'delete') await files.remove([fileID]).catch(() => undefined)
    const left = step === 'delete' ? ` The file ${fileID} is left: delete it in the console.` : ''
    checks.push({
      name: 'storage',
      ok: false,
      detail: `Cloud storage failed at the ${step} step: ${describe(err)}.${left}`,
      fix: 'Check that cloud storage is enabled in the environment and that the function runs with its own credentials (deployed, not copied).',
      ...codeOf(err),
    })
  }
  return checks
}

function describe(err: unknown): string {
  return err instanceof UpstreamError ? err.message.replace(/\.$/, '') : 'an unexpected error'
}

function codeOf(err: unknown): { wxErrCode?: number } {
  return err instanceof UpstreamError && err.wxErrCode !== undefined ? { wxErrCode: err.wxErrCode } : {}
}
