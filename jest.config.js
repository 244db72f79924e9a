/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // Pages are type-checked against the mini program's own typings by npm run lint; here they only run.
    '^.+/miniprogram/pages/.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Several cloudfunctions/*/package.json share a name and collide in jest-haste-map.
  modulePathIgnorePatterns: ['<rootDir>/cloudfunctions/', '<rootDir>/out/', '<rootDir>/dist/', '<rootDir>/.cache/'],
  testTimeout: 30000,
  // The machine has two cores; jest's default (cores - 1) would run every suite on one.
  maxWorkers: 2,
}
