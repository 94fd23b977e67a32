#!/usr/bin/env node
'use strict';
// Part of `npm run build`, after `tsc -p tsconfig.build.esm.json`: finishes the ES-module build
// for esbuild (dist/esm, the custom `lightbus-esm` condition of package.json's `exports`; custom
// because its lazy loads stay literal require() calls, which only esbuild bundles: see
// cdk/package-layout.ts ESM_BUILD_CONDITION).
//
// - Every relative import names its file (`./api` → `./api/index.js`, `./names` → `./names.js`):
//   ES-module resolution (Node's, webpack's for `"type": "module"` packages) does not guess
//   extensions or index files, and our sources leave them out (they compile to CommonJS too).
//   The import statements are found by TypeScript's own scanner, so comments and strings are
//   never touched.
// - dist/esm/package.json says `"type": "module"`: these `.js` files are ES modules, while the
//   package's own package.json keeps `.js` CommonJS for the main build.
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const ts = require('typescript');

const ROOT = join(__dirname, '..', '..');
const ESM = join(ROOT, 'dist', 'esm');
/** The entry points the `lightbus-esm` condition names: each must exist after the build. */
const ENTRIES = ['runtime/index.js', 'runtime/testing/index.js', 'handlers/index.js'];

function* javascriptFiles(directory) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) yield* javascriptFiles(path);
    else if (name.endsWith('.js')) yield path;
  }
}

/** The fully specified form of a relative import in `file`, or throws if it names no built file. */
function fullySpecified(file, specifier) {
  if (specifier.endsWith('.js')) return specifier;
  const base = join(dirname(file), specifier);
  if (existsSync(`${base}.js`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.js'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  throw new Error(`esm-build: ${relative(ROOT, file)} imports ${specifier}, which is neither ${relative(ROOT, base)}.js nor ${relative(ROOT, base)}/index.js.`);
}

/** `text` with each relative import specifier made fully specified (rewritten back to front, so positions hold). */
function rewriteImports(file, text) {
  const imports = ts.preProcessFile(text, true, true).importedFiles.filter((i) => i.fileName.startsWith('./') || i.fileName.startsWith('../'));
  let rewritten = text;
  for (const { fileName, pos } of [...imports].sort((a, b) => b.pos - a.pos)) {
    // The scanner's position is the opening quote of the string literal.
    const start = pos + 1;
    if (!`'"`.includes(text[pos]) || text.slice(start, start + fileName.length) !== fileName) {
      throw new Error(`esm-build: unexpected import text at ${relative(ROOT, file)}:${pos} (${JSON.stringify(text.slice(pos, pos + fileName.length + 2))}).`);
    }
    rewritten = rewritten.slice(0, start) + fullySpecified(file, fileName) + rewritten.slice(start + fileName.length);
  }
  return { text: rewritten, count: imports.length };
}

if (!existsSync(ESM)) throw new Error('esm-build: dist/esm is missing; run tsc -p tsconfig.build.esm.json first.');
let files = 0;
let rewrites = 0;
for (const file of javascriptFiles(ESM)) {
  const { text, count } = rewriteImports(file, readFileSync(file, 'utf8'));
  if (count > 0) writeFileSync(file, text);
  files += 1;
  rewrites += count;
}
for (const entry of ENTRIES) {
  if (!existsSync(join(ESM, entry))) throw new Error(`esm-build: dist/esm/${entry} is missing.`);
}
writeFileSync(join(ESM, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
console.log(`esm-build: dist/esm (${files} ES modules, ${rewrites} relative imports fully specified)`);
