import { storageError } from '../errors/storage'

/** One `deleteFile` call deletes at most 50 files (docs.cloudbase.net/storage/delete-file). */
export const DELETE_BATCH = 50

/**
 * Files in cloud storage: the three steps a stored label needs. wx-server-sdk takes no abort
 * signal, so deadlines are kept around these calls, not inside them.
 */
export interface LabelFiles {
  /** stores the bytes at `cloudPath` (replacing what is there) and gives the fileID */
  upload(cloudPath: string, bytes: Buffer): Promise<string>
  /** a temporary URL that stops working after `maxAgeSec` */
  tempUrl(fileID: string, maxAgeSec: number): Promise<string>
  /** deletes, 50 a call; a file that is already gone counts as deleted */
  remove(fileIDs: string[]): Promise<{ deleted: string[]; failed: string[] }>
}

/** The slice of wx-server-sdk used to store files. */
export interface CloudStorageLike {
  uploadFile(options: { cloudPath: string; fileContent: Buffer }): Promise<{ fileID: string }>
  getTempFileURL(options: { fileList: { fileID: string; maxAge: number }[] }): Promise<{
    fileList: { fileID: string; tempFileURL: string; status?: number; errMsg?: string }[]
  }>
  deleteFile(options: { fileList: string[] }): Promise<{ fileList: { fileID: string; status?: number }[] }>
}

/** A file that is already gone: wx-server-sdk's STORAGE_FILE_NONEXIST. */
const FILE_NOT_EXISTS = -503003

/** Cloud storage through wx-server-sdk. */
export function cloudFiles(cloud: CloudStorageLike): LabelFiles {
  return {
    async upload(cloudPath, fileContent) {
      let fileID: unknown
      try {
        fileID = (await cloud.uploadFile({ cloudPath, fileContent })).fileID
      } catch (err) {
        throw storageError('Uploading the label to cloud storage failed', err)
      }
      if (typeof fileID !== 'string' || fileID === '') throw storageError('Cloud storage gave no file id for the label', undefined)
      return fileID
    },
    async tempUrl(fileID, maxAgeSec) {
      let url: string | undefined
      try {
        const got = await cloud.getTempFileURL({ fileList: [{ fileID, maxAge: maxAgeSec }] })
        const entry = got.fileList.find((f) => f.fileID === fileID) ?? got.fileList[0]
        if (entry && (entry.status === undefined || entry.status === 0)) url = entry.tempFileURL
      } catch (err) {
        throw storageError('Getting a temporary URL for the stored label failed', err)
      }
      if (typeof url !== 'string' || url === '') throw storageError('Cloud storage gave no temporary URL for the label', undefined)
      return url
    },
    async remove(fileIDs) {
      const deleted: string[] = []
      const failed: string[] = []
      for (let i = 0; i < fileIDs.length; i += DELETE_BATCH) {
        const batch = fileIDs.slice(i, i + DELETE_BATCH)
        try {
          const got = await cloud.deleteFile({ fileList: batch })
          const status = new Map(got.fileList.map((f) => [f.fileID, f.status ?? 0]))
          for (const id of batch) (status.get(id) === 0 || status.get(id) === FILE_NOT_EXISTS ? deleted : failed).push(id)
        } catch {
          failed.push(...batch)
        }
      }
      return { deleted, failed }
    },
  }
}
