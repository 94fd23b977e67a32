import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorker, optionalModulesLeftOut } from '../../cdk/bundle';
import { OptionalModuleMissingError, requireOptional } from '../../runtime/modules';

const AUTH_BUS = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');

describe('worker bundles leave optional modules out unless asked', () => {
  it('leaves ajv and yaml out by default: they stay require() calls, not bundled code', () => {
    const lean = bundleWorker(AUTH_BUS, { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut() });
    const code = readFileSync(join(lean.directory, 'index.js'), 'utf8');
    expect(code).toMatch(/require\("ajv\/dist\/2020"\)/);
    expect(code).toMatch(/require\("yaml"\)/);
    const full = bundleWorker(AUTH_BUS, { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut({ jsonSchemaValidator: true, yamlParser: true }) });
    const fullCode = readFileSync(join(full.directory, 'index.js'), 'utf8');
    expect(fullCode).not.toMatch(/require\("ajv\/dist\/2020"\)/);
    expect(full.sizeBytes - lean.sizeBytes).toBeGreaterThan(200_000);
  });

  it('turns a missing optional module into an error that says how to get it', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'ajv/dist/2020'"), { code: 'MODULE_NOT_FOUND' });
    };
    const error = (() => {
      try {
        requireOptional('ajv', 'Validating against a JSON Schema published on the bus', missing);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OptionalModuleMissingError);
    expect((error as Error).message).toMatch(/needs the "ajv" package.*bundleJsonSchemaValidator/);
    // Other failures pass through untouched.
    expect(() => requireOptional('ajv', 'x', () => { throw new TypeError('boom'); })).toThrow(TypeError);
  });
});
