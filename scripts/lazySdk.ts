// An esbuild plugin: wx-server-sdk bundled with the parts of @cloudbase/node-sdk this function
// never uses on its path (auth, cloud functions and cloudrun, analytics, AI, notifications, the
// data-model clients, axios) loaded on first use instead of at cold start, and storage and the
// database loaded when a label is first stored. Every rewrite must match exactly, so an SDK that
// changed shape fails the build instead of bundling something untested.
import * as fs from 'fs'
import * as path from 'path'
import type { Plugin } from 'esbuild'

/** node-sdk's modules `cloudbase.js` requires at the top that getOrder's call never touches. */
const LAZY_MODULES = ['./auth', './functions', './cloudrun', './database', './storage', './analytics', './ai', './notification'] as const

const HELPERS = `
function __lazyModule(load) {
  let m
  const real = () => (m === undefined ? (m = load()) : m)
  return new Proxy({}, {
    get: (_, k) => Reflect.get(real(), k),
    has: (_, k) => Reflect.has(real(), k),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(real(), k); if (d) d.configurable = true; return d },
  })
}
`

interface Rewrite {
  from: string
  to: string
}

const CLOUDBASE_REWRITES: Rewrite[] = [
  ...LAZY_MODULES.map((m) => {
    const name = `${m.slice(2)}_1`
    return { from: `const ${name} = require("${m}");`, to: `const ${name} = __lazyModule(() => require("${m}"));` }
  }),
  { from: 'const axios_1 = __importDefault(require("axios"));', to: 'const axios_1 = __lazyModule(() => __importDefault(require("axios")));' },
  // The constructor builds the data-model client at once; it is made when first used.
  {
    from: 'const wx_cloud_client_sdk_1 = __importDefault(require("@cloudbase/wx-cloud-client-sdk"));',
    to: `const wx_cloud_client_sdk_1 = (() => {
  const sdk = () => __importDefault(require("@cloudbase/wx-cloud-client-sdk")).default
  return { default: {
    generateHTTPClient: (...args) => __lazyModule(() => sdk().generateHTTPClient(...args)),
    generateMySQLClient: (...args) => sdk().generateMySQLClient(...args),
  } }
})();`,
  },
]

const STORAGE_REWRITES: Rewrite[] = [{ from: 'const xml2js_1 = require("xml2js");', to: 'const xml2js_1 = __lazyModule(() => require("xml2js"));' }]

function rewrite(file: string, rewrites: Rewrite[]): string {
  let text = fs.readFileSync(file, 'utf8')
  for (const r of rewrites) {
    const count = text.split(r.from).length - 1
    if (count !== 1) throw new Error(`lazySdk: expected exactly one "${r.from}" in ${file}, found ${count}: the SDK changed; review the lazy loading before bundling it`)
    text = text.replace(r.from, r.to)
  }
  const at = text.indexOf('Object.defineProperty(exports, "__esModule"')
  if (at === -1) throw new Error(`lazySdk: ${file} has no __esModule marker to put the helper before`)
  return text.slice(0, at) + HELPERS + text.slice(at)
}

/**
 * node-sdk reads its version from `../../package.json` at run time, which the bundle does not
 * ship: on the platform its version header said `unknow`, and from this repo it said ours. The
 * bundle carries the bundled node-sdk's version as a literal instead.
 */
function literalVersion(file: string): string {
  const text = fs.readFileSync(file, 'utf8')
  const from = 'exports.version = loadPackage().version;'
  if (text.split(from).length - 1 !== 1) throw new Error(`lazySdk: expected exactly one "${from}" in ${file}: the SDK changed; review its version before bundling it`)
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(file), '..', '..', 'package.json'), 'utf8')) as { name: string; version: string }
  if (pkg.name !== '@cloudbase/node-sdk') throw new Error(`lazySdk: ${file} is not beside @cloudbase/node-sdk's package.json`)
  return text.replace(from, `exports.version = ${JSON.stringify(pkg.version)};`)
}

export function lazySdkPlugin(): Plugin {
  return {
    name: 'lazy-sdk',
    setup(build) {
      build.onLoad({ filter: /@cloudbase[\\/]node-sdk[\\/]dist[\\/]cloudbase\.js$/ }, (args) => ({ contents: rewrite(args.path, CLOUDBASE_REWRITES), loader: 'js' }))
      build.onLoad({ filter: /@cloudbase[\\/]node-sdk[\\/]dist[\\/]storage[\\/]index\.js$/ }, (args) => ({ contents: rewrite(args.path, STORAGE_REWRITES), loader: 'js' }))
      build.onLoad({ filter: /@cloudbase[\\/]node-sdk[\\/]dist[\\/]utils[\\/]version\.js$/ }, (args) => ({ contents: literalVersion(args.path), loader: 'js' }))
    },
  }
}
