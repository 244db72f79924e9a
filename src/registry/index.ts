import type { TransportName } from '../config/transports'
import { cloud } from './cloud'
import { component } from './component'
import { https } from './https'
import type { TransportEntry } from './types'

/** Every transport, by the name WX_TRANSPORT gives it. A name config/ reads without an entry here does not compile. */
export const TRANSPORTS: { readonly [N in TransportName]: TransportEntry<N> } = { cloud, https, component }

export { COMPONENT_FUNCTION_NAME, platformOf } from './component'
export type { CommonDeps, TransportEntry, Wired, WxServerSdk } from './types'
