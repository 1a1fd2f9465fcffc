import { spawnSync } from 'node:child_process';
import { ROOT } from './paths.ts';
import type { LarderPackage } from './types.ts';

/** What the servers and probes import from each built package. */
const REQUIRED_EXPORTS: Record<LarderPackage, readonly string[]> = {
  '@larder/core': ['hashValue', 'createLarder'],
  '@larder/express': ['cached', 'createLarder'],
  '@larder/koa': ['cached', 'createLarder'],
};

/**
 * Runs `npm run build` (unless `build` is false); a failed build throws, with the compiler's output.
 * Then imports each needed package the way the servers do (through node_modules, i.e.
 * packages/*\/dist) and returns, per unusable package, why: cases needing it are skipped and reported,
 * while the packages that work are still measured.
 */
export function prepareLarder(packages: ReadonlySet<LarderPackage>, build: boolean): Map<LarderPackage, string> {
  if (build) {
    console.log('Building the Larder packages (npm run build)…');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
      throw new Error(`npm run build failed, so the Larder contenders cannot run.\n${output}\n${HINT}`);
    }
  }
  const required = Object.fromEntries([...packages].map((name) => [name, REQUIRED_EXPORTS[name]]));
  const check = spawnSync(process.execPath, ['--input-type=module', '-e', CHECK_SCRIPT, JSON.stringify(required)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (check.status !== 0) throw new Error(`Could not check the built Larder packages: ${check.stderr.trim()}`);
  return new Map(Object.entries(JSON.parse(check.stdout) as Record<LarderPackage, string>) as [LarderPackage, string][]);
}

export const HINT =
  'Run `npm run bench -- --no-larder` to measure only the baselines and peers, or `--only <case>` to pick cases (see --list).';

// Runs in a plain `node` (no tsx, no tsconfig paths), so @larder/* resolve exactly as in the servers.
const CHECK_SCRIPT = `
const required = JSON.parse(process.argv[1]);
const problems = {};
for (const [name, exports] of Object.entries(required)) {
  try {
    const mod = await import(name);
    const missing = exports.filter((e) => typeof mod[e] !== 'function');
    if (missing.length) problems[name] = 'the built ' + name + ' does not export ' + missing.map((e) => e + '()').join(', ') + ' yet';
  } catch (error) {
    problems[name] = 'cannot import the built ' + name + ': ' + String(error.message).split('\\n')[0];
  }
}
process.stdout.write(JSON.stringify(problems));
`;
