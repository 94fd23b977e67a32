#!/usr/bin/env node
'use strict';
// Part of `npm run build`: an empty dist/, so no file of a moved or deleted source ships.
require('node:fs').rmSync(require('node:path').join(__dirname, '..', '..', 'dist'), { recursive: true, force: true });
