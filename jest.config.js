/** ESM + TypeScript through ts-jest; run with NODE_OPTIONS=--experimental-vm-modules (see README). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/__tests__/setup/build.js',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  maxWorkers: 2,
  testTimeout: 60000,
  // A large worker can take over jest's default 500 ms to exit on a busy 2-core machine; it is then
  // killed and jest warns about leaks that are not there (checked with --detectOpenHandles).
  workerGracefulExitTimeout: 5000,
};
