import { spawnSync } from 'node:child_process';

let warned = false;

/**
 * Prometheus's own checker of the text exposition format (`promtool check metrics`: its parser,
 * then its linter), or undefined when it is not installed, after a loud warning (once per process).
 * Under `CI=true` a missing promtool throws: the check must run there (.ci/run installs it).
 */
export function maybePromtool(): ((text: string) => { status: number | null; output: string }) | undefined {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error) {
    if (process.env.CI === 'true') {
      throw new Error('promtool is not on PATH, and CI=true requires the metrics format check to run (apt-get install -y prometheus).');
    }
    if (!warned) {
      warned = true;
      console.warn('\n*** WARNING: promtool is not on PATH; the promtool check of the metrics format is SKIPPED (apt-get install prometheus). ***\n');
    }
    return undefined;
  }
  return (text) => {
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
  };
}
