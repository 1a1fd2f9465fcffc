// The `larder` CLI from its sources, as packages/core/bin/larder.js runs it from dist/.
import { main } from '../../packages/core/src/cli/main.js';

// The CLI reports every failure as its own one line on stderr; a Node warning printed beside it
// (the store's 'cannot reach Redis', say) would only repeat it.
process.removeAllListeners('warning');

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
