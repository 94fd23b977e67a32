// The dashboard page's bundle: preact + htm and the page's code in one script, its styles in one
// stylesheet. Used by `npm run build` (build-ui.js, written into dist/) and, in a checkout without
// a build, by local/dashboard/asset.ts on demand.
'use strict';
const { readFileSync } = require('node:fs');
const { join, dirname } = require('node:path');

/** @param {string} entry @returns {Promise<{ js: string, css: string }>} */
async function bundleDashboardUi(entry) {
  const esbuild = require('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const js = out.outputFiles[0].text;
  const css = readFileSync(join(dirname(entry), 'styles.css'), 'utf8');
  return { js, css };
}

module.exports = { bundleDashboardUi };
