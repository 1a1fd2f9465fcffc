/**
 * The two sides of publishing, for the packaging test: a publisher who packs the packages from a
 * clean tree (no `dist/`, so `prepack` must build), and a user who installs the tarballs into a
 * fresh project outside the monorepo.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The workspaces that are published, by folder. */
export const PUBLISHED = ['core', 'express', 'koa'] as const;

/** One entry of `npm pack --json`. */
export interface Packed {
  name: string;
  filename: string;
  /** Bytes of the .tgz. */
  size: number;
  unpackedSize: number;
  files: Array<{ path: string }>;
}

/**
 * Runs a command and resolves with its output. npm's own `npm_*` variables are dropped, so an npm
 * started from `npm test` reads its configuration like one started by hand.
 */
export async function run(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== 'INIT_CWD'));
  return exec(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Copies what a clone holds of the published packages (tracked and unignored files, so no `dist/`
 * and no build info) to `tree`, links the monorepo's installed dependencies into it, and runs
 * `npm pack` for the three workspaces there: `prepack` has to build them from source.
 */
export async function packFromCleanTree(root: string, tree: string, destination: string): Promise<Packed[]> {
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', 'package.json', 'tsconfig.base.json', 'packages'], root);
  const files = listed.stdout.split('\0').filter((file) => file !== '' && !file.includes('/test/'));
  for (const file of files) {
    await mkdir(dirname(join(tree, file)), { recursive: true });
    await cp(join(root, file), join(tree, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted but not yet committed
    });
  }
  // The dependencies a fresh `npm ci` would install, except the workspaces themselves: those must be this tree's.
  await mkdir(join(tree, 'node_modules', '@larder'), { recursive: true });
  for (const entry of await readdir(join(root, 'node_modules'))) {
    if (entry !== '@larder') await symlink(join(root, 'node_modules', entry), join(tree, 'node_modules', entry));
  }
  for (const name of PUBLISHED) await symlink(join('..', '..', 'packages', name), join(tree, 'node_modules', '@larder', name));
  await mkdir(destination, { recursive: true });
  const workspaces = PUBLISHED.flatMap((name) => ['-w', `packages/${name}`]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination, ...workspaces], tree);
  return JSON.parse(stdout) as Packed[];
}

/**
 * Creates an ESM application in `project` and installs the tarballs there with npm, plus the
 * `extra` packages (the framework typings a TypeScript user adds). npm installs the required
 * peers (express, koa, @koa/router) itself; nothing comes from the monorepo.
 */
export async function installInFreshProject(project: string, tarballs: string[], extra: string[]): Promise<void> {
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'larder-consumer', private: true, type: 'module' }, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--loglevel=error', ...tarballs, ...extra], project);
}
