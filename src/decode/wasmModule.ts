/**
 * A WebAssembly module of src/label, compiled on first use and kept; undefined for good where
 * the runtime cannot compile it (no WebAssembly, or no SIMD), and the caller's portable way runs.
 */
export function compiledOnce(base64: string): () => WebAssembly.Module | undefined {
  let module: WebAssembly.Module | null | undefined
  return () => {
    if (module === undefined) {
      try {
        module = new WebAssembly.Module(Buffer.from(base64, 'base64'))
      } catch {
        module = null
      }
    }
    return module ?? undefined
  }
}
