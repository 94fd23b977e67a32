#!/usr/bin/env node
'use strict';
// Developer CLI for the MiniStack emulator: `node bin/emulator.js start [--port N]` (npm run emulator).
// Runs in the foreground; Ctrl-C stops the emulator.
require('tsx/cjs/api').register();
const { startEmulator, assertNoKeepAliveStall } = require('../tools/emulator/index.ts');

function usage(exitCode) {
  (exitCode === 0 ? console.log : console.error)('usage: node bin/emulator.js start [--port N] [--log FILE]');
  process.exit(exitCode);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help') usage(0);
  if (command !== 'start') usage(2);
  const options = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] = arg.split('=', 2);
    const value = () => (inline !== undefined ? inline : rest[++i]);
    if (flag === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        console.error(`invalid --port: ${arg}`);
        usage(2);
      }
      options.port = port;
    } else if (flag === '--log') {
      const file = value();
      if (!file) usage(2);
      options.logFile = file;
    } else if (flag === '-h' || flag === '--help') {
      usage(0);
    } else {
      console.error(`unknown argument: ${arg}`);
      usage(2);
    }
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator(options);

  let stopping = false;
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping emulator...`);
    try {
      await emulator.stop();
    } finally {
      clearInterval(keepAlive);
    }
    console.log('emulator stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  console.log(`MiniStack running at ${emulator.endpoint}`);
  console.log('Export these to use it:');
  for (const [key, value] of Object.entries(emulator.env)) console.log(`  export ${key}=${value}`);

  try {
    const stall = await assertNoKeepAliveStall(emulator.endpoint, emulator.region);
    console.log(
      `keep-alive stall check: ${stall.calls} SendMessage calls in ${stall.totalMs} ms (${stall.perCallMs} ms/call) - ok`,
    );
  } catch (err) {
    console.error(`WARNING: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log('Press Ctrl-C to stop.');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
