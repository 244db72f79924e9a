import { TRANSPORT_SETTINGS } from '../config/transports'
import { createGetOrderHandler } from '../core/handler'
import { createSelfTestHandler } from '../core/selfTest'
import { cloudTransport } from '../transport/cloud'
import type { TransportEntry } from './types'

/** `cloud` (the default): the cloud call through wx-server-sdk, authorised by `permissions.openapi`. */
export const cloud: TransportEntry<'cloud'> = {
  name: 'cloud',
  summary: 'the cloud call (cloud.openapi), authorised by config.json permissions.openapi',
  variables: TRANSPORT_SETTINGS.cloud.required,
  // Off the cloud the SDK would reject and also raise an unhandled rejection that ends the process.
  needsCloud: {
    message: 'No CloudBase credentials: TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY are not set, so the cloud call cannot be made.',
    hint: 'Deploy the function to CloudBase (the platform sets them), set them for a local run, or use WX_TRANSPORT=https.',
  },
  companions: [],
  build(_choice, sdk, common) {
    const transport = cloudTransport(sdk)
    return {
      handler: createGetOrderHandler({ ...common, transport, crossAccount: (appid) => cloudTransport(sdk, { appid }) }),
      selfTest: createSelfTestHandler({ ...common, transport }),
    }
  },
}
