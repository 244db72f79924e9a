import { sdkErrorParts, UpstreamError } from './upstream'

/** A storage or database step failed: a network-kind failure, with the SDK's code and message when it gave them. */
export function storageError(what: string, err: unknown): UpstreamError {
  const { errCode, errMsg } = sdkErrorParts(err)
  const details: { wxErrCode?: number; wxErrMsg?: string } = {}
  if (errCode !== undefined) details.wxErrCode = errCode
  if (errMsg !== undefined) details.wxErrMsg = errMsg
  return new UpstreamError('network', `${what}.`, details)
}
