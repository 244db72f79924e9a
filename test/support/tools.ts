import * as fs from 'fs'
import * as path from 'path'

/** Whether a command (a Debian tool the tests read output with) is on the PATH. */
export const onPath = (tool: string): boolean => (process.env.PATH ?? '').split(':').some((dir) => fs.existsSync(path.join(dir, tool)))
