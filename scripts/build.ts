// npm run build: writes cloudfunctions/getOrder/ and cloudfunctions/wxComponent/ from src/. The result is committed.
import * as fs from 'fs'
import * as path from 'path'
import { buildArtifact, buildComponentArtifact, CLOUDBASERC, cloudbasercWithTriggers, COMPONENT_FUNCTION_DIR, FUNCTION_DIR, MINIPROGRAM_CONTRACT, miniprogramContract } from './artifact'
import { compiledWasmModule, WASM_MODULES } from './wasm'

async function main() {
  // First the WebAssembly the decode instantiates, since the bundle takes it in.
  for (const spec of WASM_MODULES) {
    const wasm = await compiledWasmModule(spec)
    const before = fs.existsSync(spec.module) ? fs.readFileSync(spec.module, 'utf8') : undefined
    if (before !== wasm) fs.writeFileSync(spec.module, wasm)
    console.log(`${before === wasm ? 'unchanged' : 'wrote    '} ${path.relative(process.cwd(), spec.module)} (${Buffer.byteLength(wasm)} bytes)`)
  }
  const files: Record<string, string> = {}
  for (const [name, text] of Object.entries(await buildArtifact())) files[path.join(FUNCTION_DIR, name)] = text
  for (const [name, text] of Object.entries(await buildComponentArtifact())) files[path.join(COMPONENT_FUNCTION_DIR, name)] = text
  files[MINIPROGRAM_CONTRACT] = miniprogramContract()
  files[CLOUDBASERC] = cloudbasercWithTriggers()
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
    if (before !== text) fs.writeFileSync(file, text)
    console.log(`${before === text ? 'unchanged' : 'wrote    '} ${path.relative(process.cwd(), file)} (${Buffer.byteLength(text)} bytes)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
