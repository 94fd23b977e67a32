/** Helpers for tests that talk to the emulator started by test/support/global-setup.ts. */
import { randomBytes } from 'node:crypto';

export interface TestAwsEnvironment {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const MAX_NAME_LENGTH = 39;
const SUFFIX_LENGTH = 8;

/**
 * A resource name unique to this call: `<prefix>-<8 random chars>`, only [a-z0-9-], < 40 chars.
 * The emulator is shared by the whole run and never reset, so every test needs its own names.
 */
export function uniqueName(prefix: string): string {
  const suffix = randomBytes(SUFFIX_LENGTH).toString('hex').slice(0, SUFFIX_LENGTH);
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, MAX_NAME_LENGTH - SUFFIX_LENGTH - 1)
    .replace(/-$/, '');
  return cleaned === '' ? `t-${suffix}` : `${cleaned}-${suffix}`;
}

/** Endpoint/region/credentials for SDK clients; throws if the emulator env is missing. */
export function testEnvironment(): TestAwsEnvironment {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (endpoint === undefined || endpoint === '') {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: these tests need the MiniStack emulator that ' +
        'test/support/global-setup.ts starts. Run them through jest (jest.config.js globalSetup), ' +
        'or start one with `npm run emulator` and export the printed variables.',
    );
  }
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  };
}
