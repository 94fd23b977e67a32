#!/usr/bin/env node
'use strict';
// `npm run bench`: the benchmarks against their baselines (bench/README.md). Not part of `npm test`.
require('tsx/cjs/api').register();
require('../bench/run.ts');
