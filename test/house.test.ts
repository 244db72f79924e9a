/**
 * The shape the code keeps (docs/architecture.md): no function in src/ over 100 lines outside the
 * harness, no file in src/cloud/ over 150 lines, and the environment read by name only in
 * src/config/ (and the harness, which plays the platform).
 */
import * as fs from 'fs'
import * as path from 'path'
import * as ts from 'typescript'
import { VARIABLES } from '../src/config'

const SRC = path.join(__dirname, '..', 'src')

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : []
  })
}
const rel = (p: string) => path.relative(SRC, p).split(path.sep).join('/')
const product = sources(SRC).filter((p) => !rel(p).startsWith('harness/'))

/** Every function-like node with its name and length in lines. */
export function functionLengths(file: string): { name: string; lines: number }[] {
  const text = fs.readFileSync(file, 'utf8')
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
  const out: { name: string; lines: number }[] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line
      const name = (node as { name?: ts.Node }).name?.getText(sf) ?? '(anonymous)'
      out.push({ name: `${rel(file)}:${start + 1} ${name}`, lines: end - start + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

test('no function in src/ (the harness aside) is over 100 lines', () => {
  const long = product.flatMap(functionLengths).filter((f) => f.lines > 100)
  expect(long).toEqual([])
})

test('the measure sees a long function (it can fail)', () => {
  const tmp = path.join(require('os').tmpdir(), `long-${process.pid}.ts`)
  fs.writeFileSync(tmp, `export function f() {\n${'  g()\n'.repeat(101)}}\n`)
  try {
    expect(functionLengths(tmp).map((f) => f.lines)).toEqual([103])
  } finally {
    fs.rmSync(tmp)
  }
})

test('no file in src/cloud/ is over 150 lines', () => {
  const long = product.filter((p) => rel(p).startsWith('cloud/')).map((p) => [rel(p), fs.readFileSync(p, 'utf8').split('\n').length] as const)
  expect(long.length).toBeGreaterThan(3)
  expect(long.filter(([, n]) => n > 150)).toEqual([])
})

test('settings are read by name only in src/config/', () => {
  const names = VARIABLES.map((v) => v.name).join('|')
  const byName = new RegExp(`\\benv(\\.|\\[['"])(${names})\\b`)
  const readers = product.filter((p) => !rel(p).startsWith('config/')).filter((p) => byName.test(fs.readFileSync(p, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')))
  expect(readers.map(rel)).toEqual([])
})
