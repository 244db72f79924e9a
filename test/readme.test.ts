/**
 * The README documents the interface in full: its configuration table lists exactly the variables
 * src/config/ reads, in the same order, and its library table exactly what src/index.ts exports.
 */
import * as fs from 'fs'
import * as path from 'path'
import { VARIABLES } from '../src/config'
import * as lib from '../src/index'

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

/** The first column's backticked names of the table under a `## heading`. */
function tableNames(heading: string): string[] {
  const start = README.indexOf(`\n## ${heading}\n`)
  expect(start).toBeGreaterThan(0)
  const section = README.slice(start + 1).split(/\n## /)[0]!
  const rows = section.split('\n').filter((l) => l.startsWith('| `'))
  return rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!))
}

test("the README's configuration table is the list of variables the reader reads, in its order", () => {
  expect(tableNames('Configuration')).toEqual(VARIABLES.map((v) => v.name))
})

test("the README's library table names every export of wx-getorder, and nothing else", () => {
  const source = fs.readFileSync(path.join(ROOT, 'src', 'index.ts'), 'utf8')
  const exported = [...source.matchAll(/^export (?:type )?\{([^}]+)\}/gm)].flatMap((m) => m[1]!.split(',').map((n) => n.trim().replace(/^type /, '')))
  const documented = tableNames('The library')
  expect([...documented].sort()).toEqual([...exported].sort())
  // Every value the table names is there at run time too.
  for (const name of documented) if (/^[a-z]/.test(name)) expect((lib as Record<string, unknown>)[name]).toBeDefined()
})
