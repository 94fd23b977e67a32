import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The README's first command, as a newcomer runs it: `npm run example` starts its own emulator,
 * runs the auth worker with `lightbus run --local`, fires customers.newCustomer, and must show the
 * listener creating the user and both checkPassword answers, then exit 0 with nothing left running.
 */
describe('npm run example', () => {
  it('runs the founding example end to end and exits 0', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'example.js')], { cwd: ROOT, timeout: 90_000 }, (error, out, err) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
      );
    });
    // On failure, the example's own output says why.
    expect({ code, output: code === 0 ? '' : `${stdout}\n${stderr}` }).toEqual({ code: 0, output: '' });
    expect(stdout).toMatch(/Created a user for a new customer/);
    expect(stdout).toMatch(/auth\.checkPassword\(\{ username: '[^']+', password: 'correct-horse-battery' \}\) → true/);
    expect(stdout).toMatch(/auth\.checkPassword\(\{ username: '[^']+', password: 'not-the-password' \}\) → false/);
    expect(stdout).toMatch(/Worker stopped cleanly\. Example complete\./);
  }, 100_000);
});
