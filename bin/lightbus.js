#!/usr/bin/env node
// The `lightbus` command. tsx lets it (and the bus modules it loads) run from TypeScript sources.
require('tsx/cjs/api').register();
require('../local/cli').main(process.argv);
