// The deployable function: esbuild bundles this file into cloudfunctions/getOrder/index.js,
// leaving wx-server-sdk external so that the cloud installs the version package.json pins.
import cloud = require('wx-server-sdk')
import { createCloudMain, type WxServerSdk } from './entry'

export const main = createCloudMain(cloud as unknown as WxServerSdk, process.env)
