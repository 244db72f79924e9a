// The one reader of the environment: the functions, the doctor and the scripts all read settings here.
export { readConfig, readAccessConfig, readComponentConfig, readPlatform, type Config } from './read'
export { configCache, SETTINGS_FOR_MS } from './cache'
export { COLLECTION_NAME } from './problems'
export { readAccess } from './access'
export {
  readComponent,
  TRANSPORT_NAMES,
  TRANSPORT_SETTINGS,
  DEFAULT_COMPONENT_COLLECTION,
  isTransportName,
  type TransportName,
  type TransportChoice,
  type HttpsSettings,
  type ComponentSettings,
} from './transports'
export { VARIABLES, SECRET_NAMES, snapshot, type Env } from './variables'
export { wxContextOf } from './identity'
