/**
 * The packages as a user gets them: packed from a clean tree (so `prepack` builds), installed from
 * the tarballs into a fresh project in the OS temp directory, then imported, required, served and
 * type-checked there. Needs the npm registry for the peers (express, koa) and the typings.
 */
import { mkdtemp, readFile, realpath, rm, cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED, installInFreshProject, packFromCleanTree, run, type Packed } from './published.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = fileURLToPath(new URL('./consumer', import.meta.url));
const SLOW = { timeout: 120_000 };

/** What the adapter SPI holds and the application API must not: each would otherwise be semver surface. */
const INTERNALS = ['RouteCache', 'Capture', 'InputGuard', 'encodeEntry', 'detachedExchange'];
/** A sample of the application API, present at every package root (the adapters re-export the core). */
const PUBLIC = ['cacheData', 'cacheResource', 'configure', 'createLarder', 'parseDuration', 'resources', 'BadOptionError'];

interface Smoke {
  exports: Record<string, string[]>;
  xCache: string[];
  runs: number;
}

describe('the published packages, installed from their tarballs into a fresh project', () => {
  let work: string;
  let project: string;
  let packed: Packed[];

  beforeAll(async () => {
    work = await realpath(await mkdtemp(join(tmpdir(), 'larder-packaging-')));
    project = join(work, 'project');
    packed = await packFromCleanTree(root, join(work, 'tree'), join(work, 'tarballs'));
    const devDependencies = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    const typings = ['@types/node', '@types/express', '@types/koa'].map((name) => `${name}@${devDependencies[name]}`);
    await installInFreshProject(project, packed.map((p) => join(work, 'tarballs', p.filename)), typings);
    await cp(consumer, project, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const installed = (name: string) => join(project, 'node_modules', '@larder', name);
  const manifest = async (name: string) => JSON.parse(await readFile(join(installed(name), 'package.json'), 'utf8')) as Record<string, any>;
  const smokes = new Map<string, Promise<{ stdout: string; stderr: string }>>();
  /** Runs a consumer script once (several tests read its report); it must print nothing but the report. */
  const smoke = async (script: string): Promise<Smoke> => {
    if (!smokes.has(script)) smokes.set(script, run(process.execPath, [script], project));
    const { stdout, stderr } = await smokes.get(script)!;
    expect(stderr).toBe('');
    return JSON.parse(stdout) as Smoke;
  };

  describe('each tarball', () => {
    it.each(PUBLISHED)('@larder/%s holds dist/ (JavaScript with its .d.ts), README.md, LICENSE and package.json (core: and its bin), nothing else', (name) => {
      const files = packed.find((p) => p.name === `@larder/${name}`)!.files.map((f) => f.path);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']));
      // Core's bin is a script to run, not a module to import: it has no typings.
      const extra = name === 'core' ? ['bin/larder.js'] : [];
      const js = files.filter((f) => f.endsWith('.js') && !extra.includes(f));
      expect(js.filter((f) => !files.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
      expect(files.filter((f) => ![...extra, 'LICENSE', 'README.md', 'package.json'].includes(f) && !/^dist\/.+\.(js|d\.ts)$/.test(f))).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(extra));
    });

    it.each(PUBLISHED)('@larder/%s points no source map at a file it does not ship', async (name) => {
      const files = new Set(packed.find((p) => p.name === `@larder/${name}`)!.files.map((f) => f.path));
      const dangling: string[] = [];
      for (const file of files) {
        const text = await readFile(join(installed(name), file), 'utf8');
        if (file.endsWith('.map')) {
          const map = JSON.parse(text) as { sourceRoot?: string; sources: string[] };
          for (const source of map.sources) {
            if (!files.has(join(file, '..', map.sourceRoot ?? '', source))) dangling.push(`${file} -> ${source}`);
          }
        }
        for (const [, map] of text.matchAll(/[#@] sourceMappingURL=(\S+)/g)) {
          if (!files.has(join(file, '..', map!))) dangling.push(`${file} -> ${map}`);
        }
      }
      expect(dangling).toEqual([]);
    });

    it.each(PUBLISHED)('@larder/%s carries the repository’s LICENSE', async (name) => {
      expect(await readFile(join(installed(name), 'LICENSE'), 'utf8')).toBe(await readFile(join(root, 'LICENSE'), 'utf8'));
      expect((await manifest(name)).license).toBe('MIT');
    });

    it.each(PUBLISHED)('@larder/%s says where it comes from and is published publicly', async (name) => {
      const pkg = await manifest(name);
      expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/larder-js/larder.git', directory: `packages/${name}` });
      expect(pkg.homepage).toBe(`https://github.com/larder-js/larder/tree/main/packages/${name}#readme`);
      expect(pkg.bugs).toEqual({ url: 'https://github.com/larder-js/larder/issues' });
      expect(pkg.publishConfig).toEqual({ access: 'public' });
    });

    it.each([
      ['core', '@types/node'],
      ['express', '@types/express'],
      ['koa', '@types/koa'],
    ])('@larder/%s declares %s, which its .d.ts files need, as an optional peer', async (name, types) => {
      const pkg = await manifest(name);
      expect(pkg.peerDependencies[types]).toBeDefined();
      expect(pkg.peerDependenciesMeta[types]).toEqual({ optional: true });
    });
  });

  it('is installed from the tarballs, outside the monorepo', async () => {
    expect(relative(root, project).startsWith('..')).toBe(true);
    for (const name of PUBLISHED) expect(await realpath(installed(name))).toBe(installed(name));
  });

  it('loads with import(), and serves a cached Express route', SLOW, async () => {
    const { exports, xCache, runs } = await smoke('smoke.mjs');
    for (const name of ['@larder/core', '@larder/express', '@larder/koa']) expect(exports[name]).toEqual(expect.arrayContaining(PUBLIC));
    expect(exports['@larder/express']).toEqual(expect.arrayContaining(['cached', 'provideLarder']));
    expect(exports['@larder/koa']).toEqual(expect.arrayContaining(['cached', 'provideLarder']));
    expect([xCache, runs]).toEqual([['MISS', 'HIT'], 1]);
  });

  it('loads with require(), the same names as import(), and serves a cached Koa route', SLOW, async () => {
    const required = await smoke('smoke.cjs');
    const imported = await smoke('smoke.mjs');
    expect(required.exports).toEqual(imported.exports);
    expect([required.xCache, required.runs]).toEqual([['MISS', 'HIT'], 1]);
  });

  it('installs the larder CLI as an executable bin (npx larder)', SLOW, async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'larder'), ['--version'], project);
    expect(stdout).toBe(`${(await manifest('core')).version}\n`);
  });

  it('keeps the adapter SPI out of the package roots and exports it from @larder/core/adapter', SLOW, async () => {
    const { exports } = await smoke('smoke.mjs');
    for (const name of ['@larder/core', '@larder/express', '@larder/koa']) expect(exports[name]!.filter((n) => INTERNALS.includes(n))).toEqual([]);
    expect(exports['@larder/core/adapter']).toEqual(expect.arrayContaining(INTERNALS));
    expect(exports['@larder/core/adapter']!.filter((n) => PUBLIC.includes(n))).toEqual([]);
  });

  it.each([
    ['node16', 'node16'],
    ['bundler', 'esnext'],
  ])('type-checks an application and an adapter with moduleResolution %s', SLOW, async (moduleResolution, module) => {
    const config = join(project, `tsconfig.${moduleResolution}.json`);
    const compilerOptions = {
      target: 'ES2022', lib: ['ES2023'], module, moduleResolution, types: ['node'],
      strict: true, esModuleInterop: true, noEmit: true,
      // The published .d.ts files are what is being checked here.
      skipLibCheck: false,
    };
    await writeFile(config, JSON.stringify({ compilerOptions, files: ['public-api.ts', 'adapter-api.ts'] }, null, 2));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', config], project).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    // Errors inside other packages' typings (@types/koa against content-disposition's own types) are not ours to fix.
    const ours = stdout.split(/\n(?=\S)/).filter((error) => error.trim() !== '' && (!error.startsWith('node_modules/') || error.startsWith('node_modules/@larder/')));
    expect(ours).toEqual([]);
  });
});
