import type { Budget } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import type { CallOptions } from '../transport/types'

/**
 * Runs one upstream call under the invocation's deadline. When time runs out the call's signal
 * is aborted and a `timeout` UpstreamError wins the race, whatever the transport does.
 */
export function callBefore<T>(budget: Budget, call: (options: CallOptions) => Promise<T>, step: Step = 'wechat'): Promise<T> {
  const remaining = budget.remaining()
  if (remaining <= 0) return Promise.reject(timeoutError(step))
  // The controller is made when a transport reads the signal: the cloud call never does, and an
  // AbortController is most of what this wrapper would otherwise cost per call.
  let controller: AbortController | undefined
  let late = false
  const options: CallOptions = {
    deadline: budget.deadline,
    get signal() {
      if (controller === undefined) {
        controller = new AbortController()
        if (late) controller.abort()
      }
      return controller.signal
    },
  }
  // One promise, settled by the call or by the timer, whichever comes first.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      late = true
      controller?.abort()
      reject(timeoutError(step))
    }, remaining)
    let pending: Promise<T>
    try {
      pending = call(options)
    } catch (err) {
      clearTimeout(timer)
      reject(err)
      return
    }
    pending.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

/** The step a wait belongs to, named when its deadline passes. */
export type Step = 'wechat' | 'storage'

function timeoutError(step: Step): UpstreamError {
  return new UpstreamError(
    'timeout',
    step === 'wechat' ? "WeChat did not answer inside the function's time budget." : "Label storage did not answer inside the function's time budget.",
  )
}
