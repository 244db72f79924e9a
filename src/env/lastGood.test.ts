import { lastGoodRead } from './lastGood'

describe('lastGoodRead', () => {
  const parse = jest.fn((env: Record<string, string | undefined>) => (env.A === 'bad' ? { ok: false as const, error: { why: 'bad' } } : { ok: true as const, value: env.A }))
  beforeEach(() => parse.mockClear())

  test('parses again only when a variable it reads changed', () => {
    const read = lastGoodRead(['A', 'B'], parse)
    const first = read({ A: '1', B: 'x', C: 'y' })
    expect(read({ A: '1', B: 'x', C: 'other' })).toBe(first)
    expect(parse).toHaveBeenCalledTimes(1)
    expect(read({ A: '1', B: 'changed' })).toEqual({ ok: true, value: '1' })
    expect(parse).toHaveBeenCalledTimes(2)
  })

  test('an unset variable and an empty one are different values', () => {
    const read = lastGoodRead(['A', 'B'], parse)
    read({ A: '1' })
    read({ A: '1', B: '' })
    expect(parse).toHaveBeenCalledTimes(2)
  })

  test('an unset variable is not the text "undefined"', () => {
    const read = lastGoodRead(['A'], parse)
    expect(read({})).toEqual({ ok: true, value: undefined })
    expect(read({ A: 'undefined' })).toEqual({ ok: true, value: 'undefined' })
    expect(parse).toHaveBeenCalledTimes(2)
  })

  test('a failed read is never kept: each is a fresh object', () => {
    const read = lastGoodRead(['A'], parse)
    const one = read({ A: 'bad' })
    const two = read({ A: 'bad' })
    expect(one).toEqual(two)
    expect(one).not.toBe(two)
    expect(parse).toHaveBeenCalledTimes(2)
  })
})
