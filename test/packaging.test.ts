import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a snippet in a plain Node process, resolving @larder/* through node_modules to the built dist. */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

describe('the built packages', () => {
  it.each(['@larder/core', '@larder/express', '@larder/koa'])('%s loads with require() as well as import', (name) => {
    const required = node(['-e', `const m = require('${name}'); console.log(Object.keys(m).sort().join(','))`]).trim();
    const imported = node(['--input-type=module', '-e', `const m = await import('${name}'); console.log(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort().join(','))`]).trim();
    expect(required.split(',')).toEqual(expect.arrayContaining(['cacheData', 'cacheResource', 'createLarder', 'hashValue', 'parseDuration']));
    expect(required.split(',').filter((k) => k !== '__esModule' && k !== 'module.exports')).toEqual(imported.split(','));
  });

  it('ship type definitions next to the code', () => {
    const types = node(['-e', "console.log(require('@larder/core/package.json').types)"]).trim();
    expect(types).toBe('./dist/index.d.ts');
    expect(node(['-e', "console.log(require('fs').existsSync(require.resolve('@larder/express').replace(/index\\.js$/, 'index.d.ts')))"]).trim()).toBe('true');
  });
});
