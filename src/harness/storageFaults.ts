/** A storage or database fault the fakes can play (the gateway and the in-process fake SDK alike). */
export type StorageFault = 'none' | 'upload' | 'temp-url' | 'delete' | 'database'

/** One `deleteFile` call deletes at most 50 files (docs.cloudbase.net/storage/delete-file). */
export const MAX_DELETE = 50
