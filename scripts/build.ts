// npm run build: writes cloudfunctions/getOrder/ from src/. The result is committed.
import * as fs from 'fs'
import * as path from 'path'
import { buildArtifact, FUNCTION_DIR } from './artifact'

async function main() {
  const files = await buildArtifact()
  fs.mkdirSync(FUNCTION_DIR, { recursive: true })
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(FUNCTION_DIR, name)
    const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
    if (before !== text) fs.writeFileSync(file, text)
    console.log(`${before === text ? 'unchanged' : 'wrote    '} ${path.relative(process.cwd(), file)} (${Buffer.byteLength(text)} bytes)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
