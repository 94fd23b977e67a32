/**
 * `npm run test:package`: the packed tarball installed into fresh projects (test/package). Slow
 * (npm pack and installs), so not part of `npm test`; .ci/run runs it after the suite.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/package'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/package/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/package/support/global-teardown.ts',
  testTimeout: 300_000,
  maxWorkers: 1,
};
