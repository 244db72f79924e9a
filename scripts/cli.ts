// What every command-line script here does at its edges: a usage error on stderr with its exit
// code, and main's exit code (or its crash, as a message and `crashCode`) handed to the process.

/** Writes `message` (and where to read more) to stderr; gives the usage exit code, 2. */
export function usage(message: string, more?: string): number {
  process.stderr.write(`${message}\n${more ? `${more}\n` : ''}`)
  return 2
}

/** Runs a script's main and exits with its code; a throw is printed (its message only) and exits with `crashCode`. */
export function run(main: () => Promise<number>, crashCode: number): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(crashCode)
    },
  )
}
