import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The page's script and styles. */
export interface UiBundle {
  readonly js: string;
  readonly css: string;
}

/** Where `npm run build` puts the page's assets (tools/dashboard/build-ui.js), next to this module in dist/. */
export const ASSET_DIR = join(__dirname, 'assets');
/** The page's sources, in a checkout of the repository (not in the package). */
export const UI_ENTRY = join(__dirname, '..', '..', 'tools', 'dashboard', 'ui', 'main.js');

let cached: Promise<UiBundle> | undefined;

/**
 * The page's assets: the prebuilt bundle when there is one (the package ships it), else built now
 * from the sources with esbuild (a checkout: tests, `tsx`), once per process. Everything the page
 * needs (preact, htm) is inside: it loads nothing from elsewhere.
 */
export function loadUiBundle(): Promise<UiBundle> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function load(): Promise<UiBundle> {
  const js = join(ASSET_DIR, 'dashboard.js');
  const css = join(ASSET_DIR, 'dashboard.css');
  if (existsSync(js) && existsSync(css)) return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  if (!existsSync(UI_ENTRY)) {
    throw new Error(`The dashboard's page assets are missing: nothing in ${ASSET_DIR} (built by npm run build) and no sources at ${UI_ENTRY}.`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bundleDashboardUi } = require(join(__dirname, '..', '..', 'tools', 'dashboard', 'bundle.js')) as {
    bundleDashboardUi: (entry: string) => Promise<UiBundle>;
  };
  return bundleDashboardUi(UI_ENTRY);
}
