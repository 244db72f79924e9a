declare module 'json-bigint' {
  interface JSONBigInt {
    parse(text: string): any
    stringify(value: unknown): string | undefined
  }
  function factory(options?: { useNativeBigInt?: boolean; storeAsString?: boolean }): JSONBigInt
  export = factory
}
