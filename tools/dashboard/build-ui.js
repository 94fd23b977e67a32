// `npm run build`: writes the dashboard page's assets next to the compiled server
// (dist/local/dashboard/assets/), so the packed package serves them without esbuild.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { bundleDashboardUi } = require('./bundle');

const root = join(__dirname, '..', '..');
const outDir = join(root, 'dist', 'local', 'dashboard', 'assets');

bundleDashboardUi(join(__dirname, 'ui', 'main.js')).then(
  ({ js, css }) => {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'dashboard.js'), js);
    writeFileSync(join(outDir, 'dashboard.css'), css);
    process.stdout.write(`dashboard assets: ${(js.length / 1024).toFixed(1)} KiB script, ${(css.length / 1024).toFixed(1)} KiB styles in ${outDir}\n`);
  },
  (error) => {
    process.stderr.write(`dashboard assets: ${error.stack || error}\n`);
    process.exitCode = 1;
  },
);
