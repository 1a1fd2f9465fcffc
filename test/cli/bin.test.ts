/** `npx larder` in the workspace: the committed bin runs the built CLI (npm test builds first). */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the larder bin', () => {
  it('is an executable Node script that runs the built CLI, linked as node_modules/.bin/larder', () => {
    const bin = `${root}packages/core/bin/larder.js`;
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bin).mode & 0o111).toBe(0o111);
    const linked = `${root}node_modules/.bin/larder`;
    const version = JSON.parse(readFileSync(`${root}packages/core/package.json`, 'utf8')).version;
    expect(execFileSync(linked, ['--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
    const memory = spawnSync(linked, ['stats', '--store', 'memory://'], { encoding: 'utf8' });
    expect(memory.status).toBe(2);
    expect(memory.stderr).toMatch(/^larder: the memory store lives inside the app's process/);
  });
});
