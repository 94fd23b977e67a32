/**
 * Worker bundles leave zod's locales other than English out unless asked (cdk/zod-locales.ts):
 * zod's own messages stay English, a locale used anyway throws ModuleLeftOutError naming the prop,
 * and a bus module with a zod of its own keeps it whole.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorker, optionalModulesLeftOut } from '../../cdk/bundle';
import { writeZodWithoutLocales, zodImportersShareRuntimeZod } from '../../cdk/zod-locales';

jest.setTimeout(120_000);

const BUS = join(__dirname, 'fixtures', 'zod-locale-bus.ts');

/** Loads a bundle in a fresh process and runs one probe: its result, or the error's name and message. */
function probe(directory: string, name: string): string {
  const script =
    `require(${JSON.stringify(join(directory, 'index.js'))});` +
    `let out; try { out = String(globalThis.zodProbes[${JSON.stringify(name)}]()); } catch (e) { out = e.name + ': ' + e.message; }` +
    'process.stdout.write(out);';
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LIGHTBUS_BUS_NAME: 'shop' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const bundle = (leaveOutZodLocales: boolean) => bundleWorker(BUS, { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut(), leaveOutZodLocales });

describe("zod's locales in worker bundles", () => {
  it('are left out when asked: English messages stay, another locale throws ModuleLeftOutError naming the prop', () => {
    const lean = bundle(true);
    const code = readFileSync(join(lean.directory, 'index.js'), 'utf8');
    expect(code).not.toContain('Entrée invalide');
    expect(code).toContain('Invalid input: expected');
    expect(probe(lean.directory, 'englishMessage')).toBe('Invalid input: expected string, received number');
    expect(probe(lean.directory, 'frenchMessage')).toMatch(/^ModuleLeftOutError: z\.locales\.fr comes from the "zod" package, .*bundleZodLocales: true/);
    expect(probe(lean.directory, 'coreLocale')).toMatch(/^ModuleLeftOutError: z\.locales\.de /);
    // One zod for the runtime, the bus module's `z` and its own `import * as z from 'zod'`.
    expect(probe(lean.directory, 'sameZod')).toBe('true');
  });

  it('are all there otherwise, and ~190 kB more', () => {
    const full = bundle(false);
    expect(probe(full.directory, 'frenchMessage')).toBe('Entrée invalide : chaîne de caractères attendu, nombre reçu');
    expect(full.sizeBytes - bundle(true).sizeBytes).toBeGreaterThan(150_000);
  });
});

describe('a bus module with a zod of its own', () => {
  it('keeps it (and every locale): only modules that resolve the runtime\'s zod share the English-only copy', () => {
    const zod = writeZodWithoutLocales(mkdtempSync(join(tmpdir(), 'zod-probe-')), join(__dirname, '..', '..', 'runtime', 'modules', 'index.ts'))!;
    const importing = () => ({ bytes: 0, imports: [{ path: zod.files[0]!, kind: 'import-statement' as const, original: 'zod' }] });
    // A module of this checkout resolves the runtime's zod; one outside it (no zod there, or another) does not.
    expect(zodImportersShareRuntimeZod({ inputs: { [BUS]: importing() }, outputs: {} }, zod)).toBe(true);
    const elsewhere = join(tmpdir(), 'elsewhere', 'bus.ts');
    expect(zodImportersShareRuntimeZod({ inputs: { [BUS]: importing(), [elsewhere]: importing() }, outputs: {} }, zod)).toBe(false);
  });
});
