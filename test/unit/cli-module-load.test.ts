/**
 * What building the `lightbus` command line loads. Every command's module is loaded to register it,
 * `lightbus run` included, so a module one command needs at its top is loaded by a worker too.
 * node:repl (for `lightbus shell`) loads node:domain, which, once loaded, patches EventEmitter and
 * wraps every callback of the process: a long-running worker would pay it on each of its AWS calls.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');

function builtinsLoadedBy(script: string): string[] {
  const probe = `${script}; console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))));`;
  const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', probe], { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out.toString().trim().split('\n').at(-1) as string) as string[];
}

describe('the lightbus command line', () => {
  it('loads neither node:repl nor node:domain until `lightbus shell` runs', () => {
    const loaded = builtinsLoadedBy("require('./local/cli').buildProgram()");
    // The probe sees the list: the command line did load its other builtins.
    expect(loaded).toContain('readline');
    expect(loaded).not.toContain('repl');
    expect(loaded).not.toContain('domain');
  });

  it('loads node:repl, and with it node:domain, when a shell starts', () => {
    // The same probe, told to load what startShell loads: shows it would catch a top-level import.
    const loaded = builtinsLoadedBy("require('./local/cli').buildProgram(); require('node:repl')");
    expect(loaded).toContain('repl');
    expect(loaded).toContain('domain');
  });
});
