#!/usr/bin/env node
// `npx larder`: the CLI of @larder/core (src/cli/main.ts, built to dist/).
import { main } from '../dist/cli/main.js';

// The CLI reports every failure as its own one line on stderr; a Node warning printed beside it
// (the store's 'cannot reach Redis', say) would only repeat it.
process.removeAllListeners('warning');

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
