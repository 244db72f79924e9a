import { sdkErrorParts, UpstreamError } from '../errors/upstream'
import type { CallOptions } from '../transport/types'
import type { PrintHtmlFile } from '../types'

/** Where labels go when they travel as files (`printHtmlAs: 'file'`, or offloaded). */
export interface LabelStorage {
  save(html: string, name: LabelName, options: CallOptions): Promise<PrintHtmlFile>
}

export interface LabelName {
  orderId: string
  deliveryId: string
  requestId: string
}

/** The slice of wx-server-sdk used to store files. */
export interface CloudStorageLike {
  uploadFile(options: { cloudPath: string; fileContent: Buffer }): Promise<{ fileID: string }>
  getTempFileURL(options: { fileList: string[] }): Promise<{
    fileList: { fileID: string; tempFileURL: string; status?: number; errMsg?: string }[]
  }>
}

/**
 * Cloud storage through wx-server-sdk: one file per label under `waybills/`, named by day,
 * request id, order and a random part so that no two uploads collide.
 */
export function cloudStorage(cloud: CloudStorageLike, random: () => number = Math.random): LabelStorage {
  return {
    async save(html, name) {
      const fileContent = Buffer.from(html, 'utf8')
      const cloudPath = labelPath(name, new Date(), random)
      let fileID: string
      try {
        fileID = (await cloud.uploadFile({ cloudPath, fileContent })).fileID
      } catch (err) {
        throw storageError('Uploading the label to cloud storage failed', err)
      }
      let tempFileURL: string | undefined
      try {
        const got = await cloud.getTempFileURL({ fileList: [fileID] })
        const entry = got.fileList.find((f) => f.fileID === fileID) ?? got.fileList[0]
        if (entry && (entry.status === undefined || entry.status === 0)) tempFileURL = entry.tempFileURL
      } catch (err) {
        throw storageError('Getting a temporary URL for the stored label failed', err)
      }
      if (typeof fileID !== 'string' || typeof tempFileURL !== 'string') {
        throw storageError('Cloud storage gave no file id or temporary URL for the label', undefined)
      }
      return { fileID, tempFileURL, bytes: fileContent.length }
    },
  }
}

export function labelPath(name: LabelName, now: Date, random: () => number): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)
  const day = now.toISOString().slice(0, 10)
  const salt = Math.floor(random() * 0xffffffff).toString(36)
  return `waybills/${day}/${safe(name.requestId)}-${safe(name.deliveryId)}-${safe(name.orderId)}-${salt}.html`
}

function storageError(what: string, err: unknown): UpstreamError {
  const { errCode, errMsg } = sdkErrorParts(err)
  const details: { wxErrCode?: number; wxErrMsg?: string } = {}
  if (errCode !== undefined) details.wxErrCode = errCode
  if (errMsg !== undefined) details.wxErrMsg = errMsg
  return new UpstreamError('network', `${what}.`, details)
}
