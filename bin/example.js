#!/usr/bin/env node
// `npm run example`: the founding example end to end against an emulator it starts itself.
require('tsx/cjs/api').register();
require('../examples/run-example.ts');
