// The deployable push receiver: esbuild bundles this file into cloudfunctions/wxComponent/index.js.
import cloud = require('wx-server-sdk')
import { type ComponentSdk, createComponentMain } from './componentEntry'

export const main = createComponentMain(cloud as unknown as ComponentSdk, process.env)
