// The `larder` CLI from its sources, as packages/core/bin/larder.js runs it from dist/.
import { main } from '../../packages/core/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
