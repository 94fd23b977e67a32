/**
 * The lightbus-aws version a worker reports. A constant rather than a read of package.json: a
 * Lambda bundle has no package.json beside it. test/unit/worker-state.test.ts checks it against
 * package.json, so a release that bumps one and not the other fails the tests.
 */
export const LIGHTBUS_AWS_VERSION = '0.1.0';
