import type { Browser, BrowserContext, Page } from 'playwright-core'

/**
 * Label HTML comes from upstream and is untrusted: it holds a person's name, phone and address, and
 * may carry scripts. The renderer lets nothing out, enforced by the browser itself, not only by
 * request interception (which does not see WebSockets or WebRTC):
 *
 * - every request goes to a proxy that does not exist, loopback included (`<-loopback>`), so HTTP,
 *   WebSocket and DNS lookups fail inside the browser;
 * - WebRTC may use no UDP that is not proxied, and there is no proxy;
 * - no DNS prefetch, no background networking, service workers blocked;
 * - the document is served with a Content-Security-Policy header that allows nothing but inline
 *   styles and data: URLs (scripts too, only when asked for);
 * - JavaScript is off unless `allowScripts` (labels are static markup).
 */
export const DEAD_PROXY = 'http://127.0.0.1:1'

export function sealedArgs(): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--dns-prefetch-disable',
    `--proxy-server=${DEAD_PROXY}`,
    // Without this Chromium sends loopback past the proxy.
    '--proxy-bypass-list=<-loopback>',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--disable-features=WebRtcHideLocalIpsWithMdns,NetworkServiceInProcess',
  ]
}

/** The policy the label document is served with. */
export function labelCsp(allowScripts: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline' data:",
    'img-src data:',
    'font-src data:',
    allowScripts ? "script-src 'unsafe-inline'" : "script-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ')
}

/** The origin the label is served at: a name that resolves nowhere, answered by route fulfilment. */
export const LABEL_URL = 'https://label.invalid/'

/**
 * A sealed context. A label that may run scripts gets one of its own; static labels (scripts off,
 * the default) take turns in one page, since without scripts a label can read nothing of the one
 * before it: no storage is written, every request but its own document is refused, and each
 * document is served at its own address only while it loads.
 */
export async function sealedContext(browser: Browser, options: { viewport: { width: number; height: number }; scale: number; allowScripts: boolean }): Promise<BrowserContext> {
  return browser.newContext({
    viewport: options.viewport,
    deviceScaleFactor: options.scale,
    javaScriptEnabled: options.allowScripts,
    serviceWorkers: 'block',
    acceptDownloads: false,
    offline: false,
  })
}

/** A page that serves labels one after another, each at an address of its own. */
export class LabelPage {
  private readonly documents = new Map<string, { html: string; csp: string }>()
  private served = 0
  private routed: Promise<void> | undefined

  constructor(readonly page: Page) {}

  /** Loads one label: the document from route fulfilment, everything else refused. */
  async show(html: string, options: { allowScripts: boolean; timeoutMs: number }): Promise<void> {
    this.routed ??= this.page
      .route('**/*', (route) => {
        const url = route.request().url()
        const doc = this.documents.get(url)
        if (doc) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': doc.csp }, body: doc.html })
        return /^(data|blob|about):/.test(url) ? route.continue() : route.abort('blockedbyclient')
      })
      .then(() => undefined)
    await this.routed
    const url = `${LABEL_URL}${++this.served}`
    this.documents.set(url, { html, csp: labelCsp(options.allowScripts) })
    try {
      await this.page.goto(url, { waitUntil: 'load', timeout: options.timeoutMs })
    } finally {
      this.documents.delete(url)
    }
  }
}

/** Loads the label into a sealed page: the document from route fulfilment, everything else refused. */
export async function loadLabel(page: Page, html: string, options: { allowScripts: boolean; timeoutMs: number }): Promise<void> {
  await new LabelPage(page).show(html, options)
}

/** A step that may hang (a page busy in a loop, a font that never loads) is given up after `ms`. */
export async function within<T>(ms: number, what: string, step: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      step(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RenderLimitError('timeout', `${what} did not finish within ${ms} ms.`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** A label that runs away: too many pages, a page larger than real stock, or a step past its time. */
export class RenderLimitError extends Error {
  override readonly name = 'RenderLimitError'
  constructor(
    readonly limit: 'pages' | 'timeout' | 'size',
    message: string,
  ) {
    super(message)
  }
}
