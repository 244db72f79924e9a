// The deployable function: esbuild bundles this file, wx-server-sdk included, into
// cloudfunctions/getOrder/index.js (scripts/artifact.ts says why it is bundled).
import cloud = require('wx-server-sdk')
import { createCloudMain, type WxServerSdk } from './entry'

export const main = createCloudMain(cloud as unknown as WxServerSdk, process.env)
