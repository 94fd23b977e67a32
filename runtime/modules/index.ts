import { LightbusError } from '../errors';

/**
 * A module the runtime loads only for an optional feature (ajv for published JSON Schemas, yaml
 * for YAML configuration files). Lambda bundles leave them out unless asked (see LightbusService
 * `bundleJsonSchemaValidator` / `bundleYamlParser`); this error says so instead of a bare
 * "Cannot find module".
 */
export class OptionalModuleMissingError extends LightbusError {
  public constructor(moduleName: string, feature: string, cause: unknown) {
    super(
      'OPTIONAL_MODULE_MISSING',
      `${feature} needs the "${moduleName}" package, which is not available here. In a Lambda worker bundled by ` +
        'LightbusService, optional modules are left out unless asked for (bundleJsonSchemaValidator, bundleYamlParser); ' +
        `elsewhere, install it (npm install ${moduleName}).`,
      { module: moduleName, feature },
      { cause },
    );
  }
}

/** Runs `load` (a require() of an optional module), turning "not found" into a clear error. */
export function requireOptional<T>(moduleName: string, feature: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') throw new OptionalModuleMissingError(moduleName, feature, error);
    throw error;
  }
}

/**
 * A package LightbusService left out of a Lambda worker's bundle because the service, as its bus
 * module stood at synth, never needs it (the SNS client of a service with no API on SNS, say).
 * Thrown by the stand-in the bundle holds instead, when something uses it after all.
 */
export class ModuleLeftOutError extends LightbusError {
  public constructor(moduleName: string, used: string, reason: string) {
    super(
      'MODULE_LEFT_OUT',
      `${used} comes from the "${moduleName}" package, which LightbusService left out of this Lambda worker's bundle: ${reason}`,
      { module: moduleName, export: used },
    );
  }
}
