import { backoffDelay, DEFAULT_RETRY } from './retry'
import { budgetFor, marginFor, timeLimitMs } from './budget'

const clockAt = (t: number) => ({ now: () => t, sleep: async () => {} })

test.each<[unknown, number]>([
  [undefined, 3000],
  [20000, 20000],
  [0, 3000],
  [-5, 3000],
  [Number.NaN, 3000],
  ['3', 3000],
  ['10', 10000],
  ['2500', 2500],
  ['x', 3000],
])('time_limit_in_ms %p → %i ms', (raw, ms) => {
  expect(timeLimitMs({ time_limit_in_ms: raw })).toBe(ms)
})

test('the deadline is the limit less a margin of 10%, clamped to 100–500 ms', () => {
  expect(marginFor(3000)).toBe(300)
  expect(marginFor(500)).toBe(100)
  expect(marginFor(60000)).toBe(500)
  const b = budgetFor({ time_limit_in_ms: 3000 }, clockAt(1000))
  expect(b.deadline).toBe(1000 + 3000 - 300)
})

test('backoff is full jitter under an exponential cap', () => {
  expect(backoffDelay(0, DEFAULT_RETRY, () => 0.999)).toBe(99)
  expect(backoffDelay(2, DEFAULT_RETRY, () => 0.5)).toBe(200)
  expect(backoffDelay(10, DEFAULT_RETRY, () => 0.999)).toBeLessThan(DEFAULT_RETRY.maxDelayMs)
  expect(backoffDelay(3, DEFAULT_RETRY, () => 0)).toBe(0)
})
