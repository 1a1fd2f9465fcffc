import { spawnSync } from 'node:child_process';
import { ROOT } from './paths.ts';

/** What each contender imports from the built packages; checked before any server starts. */
const REQUIRED_EXPORTS: Record<string, readonly string[]> = {
  '@larder/core': ['hashValue', 'createLarder'],
  '@larder/express': ['cached', 'createLarder'],
  '@larder/koa': ['cached', 'createLarder'],
};

/**
 * Runs `npm run build` (unless `build` is false), then imports each package the way the servers do
 * (through node_modules, i.e. packages/*\/dist) and checks the exports. Throws an error that says
 * what is missing and how to run the benchmark without Larder.
 */
export function prepareLarder(build: boolean): void {
  if (build) {
    console.log('Building the Larder packages (npm run build)…');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
      throw new Error(`npm run build failed, so the Larder contenders cannot run.\n${output}\n${HINT}`);
    }
  }
  const check = spawnSync(process.execPath, ['--input-type=module', '-e', CHECK_SCRIPT], { cwd: ROOT, encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`The built Larder packages are not usable yet:\n${check.stderr.trim()}\n${HINT}`);
  }
}

const HINT =
  'Run `npm run bench -- --no-larder` to measure only the baselines and peers, or `--only <case>` to pick cases (see --list).';

const CHECK_SCRIPT = `
const required = ${JSON.stringify(REQUIRED_EXPORTS)};
const problems = [];
for (const [name, exports] of Object.entries(required)) {
  let mod;
  try { mod = await import(name); } catch (error) { problems.push(name + ': ' + error.message.split('\\n')[0]); continue; }
  for (const e of exports) if (typeof mod[e] !== 'function') problems.push(name + ' does not export ' + e + '()');
}
if (problems.length) { console.error(problems.map((p) => '  - ' + p).join('\\n')); process.exit(1); }
`;
