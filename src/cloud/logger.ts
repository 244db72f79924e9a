import { readPlatform } from '../config/read'
import type { Env } from '../config/variables'
import { cloudLogger, jsonLogger, type Logger } from '../log/logger'

/** The CloudBase logger takes flat string records and warns on every use off the cloud: JSON lines there. */
export function functionLogger(sdk: { logger(): { info(o: object): void; error(o: object): void } }, env: Env): Logger {
  return readPlatform(env).cloudLog ? cloudLogger(sdk.logger()) : jsonLogger
}
