/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts', '<rootDir>/miniprogram/**/*.test.ts'],
  // Several cloudfunctions/*/package.json share a name and collide in jest-haste-map.
  modulePathIgnorePatterns: ['<rootDir>/cloudfunctions/', '<rootDir>/out/', '<rootDir>/dist/'],
  testTimeout: 30000,
}
