#!/usr/bin/env node
'use strict';
// The `lightbus` command. Installed from npm, it runs the compiled CLI (dist/) with plain Node: no
// loader, and tsx only if a TypeScript bus module asks for it. In a checkout of the repository
// (the TypeScript sources are there, tsx is a devDependency) it runs the sources through tsx, so
// an edit needs no build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, '..', 'local', 'cli', 'index.ts'))) {
  require('tsx/cjs/api').register();
  require('../local/cli').main(process.argv);
} else {
  require('../dist/local/cli').main(process.argv);
}
