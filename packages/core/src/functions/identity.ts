import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseParams, readsThis, type ParamInfo } from './params.js';

/**
 * Who a cached function is. Streamlit keys a function by its module, its qualified name and its
 * source; Larder does the same, so that two modules each caching `async (id) => repo.find(id)` over
 * a different `repo` never share entries, while a wrapper created again at the same place (inside a
 * function, once per request) is the same function as the first.
 *
 * - module: the file that called cacheData/cacheResource, read from the call stack, named relative
 *   to the nearest package.json that has a name, as `<package name>/<path>` (so it is the same whatever the working
 *   directory, after a restart, and on every machine of a fleet; moving a file makes it a new function);
 * - name: `fn.name`, or 'anonymous';
 * - source: `Function.prototype.toString`, so editing the code invalidates persisted entries.
 *
 * The `name` option replaces module and name: bundlers and minifiers rename functions and merge
 * modules, so only an explicit name survives them.
 */
export interface FunctionIdentity {
  /** Name shown in stats, events and errors. */
  readonly name: string;
  /** Stable id used in store keys: `<name>:<hash of module, name and source>`. */
  readonly id: string;
  /** The module as it is part of the id (`@acme/api/src/users.ts`), or undefined when `name` was given. */
  readonly module: string | undefined;
  readonly params: readonly ParamInfo[];
  /** Whether the function reads `this`; only then is a method receiver part of the key. */
  readonly readsThis: boolean;
}

/** Most identities remembered per module: a module creating wrappers of generated code must not grow memory forever. */
const PER_MODULE = 1024;
/** Most modules remembered; as many files as call cacheData is far fewer. */
const MODULES = 4096;

/** Identities already computed, by module, then by name and source: a wrapper created per request costs a lookup. */
const known = new Map<string, Map<string, FunctionIdentity>>();
/** Module names by file, and package roots by directory (undefined: no package.json above). */
const moduleNames = new Map<string, string>();
const packageRoots = new Map<string, { dir: string; name: string } | undefined>();

/**
 * The identity of `fn`, wrapped at the caller of `factory` (cacheData or cacheResource), or named
 * explicitly by `name`.
 */
export function identify(fn: Function, name: string | undefined, factory: Function): FunctionIdentity {
  const module = name === undefined ? callerModule(factory) : '';
  const displayName = name ?? (fn.name || 'anonymous');
  const source = Function.prototype.toString.call(fn);
  let identities = known.get(module);
  if (identities === undefined) {
    if (known.size >= MODULES) known.clear();
    known.set(module, (identities = new Map()));
  }
  const memo = `${displayName}\0${source}`;
  let identity = identities.get(memo);
  if (identity === undefined) {
    // With an explicit name the module is left out: the name alone says who the function is.
    const digest = createHash('sha256').update(name === undefined ? `${module}\0${displayName}\0` : '').update(source).digest('hex').slice(0, 16);
    identity = {
      name: displayName,
      id: `${displayName}:${digest}`,
      module: name === undefined ? module : undefined,
      params: parseParams(fn),
      readsThis: readsThis(fn),
    };
    if (identities.size >= PER_MODULE) identities.clear();
    identities.set(memo, identity);
  }
  return identity;
}

/** The module of the caller of `factory`: the frame right above it on the stack. */
export function callerModule(factory: Function): string {
  return moduleName(callerFile(factory));
}

const callSites = (_error: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

function callerFile(factory: Function): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    // Structured call sites: no text to format and parse, and no source-map lookup. The frames above
    // `factory` are dropped by V8, so a bundle holding Larder and the app in one file still works.
    Error.prepareStackTrace = callSites;
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, factory);
    const site = (holder.stack as NodeJS.CallSite[] | undefined)?.[0];
    return site ? (site.getFileName() ?? site.getScriptNameOrSourceURL() ?? undefined) : undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** A path from what a stack frame names: a path, a `file://` URL (ESM), with a query a loader may add. */
function toPath(file: string): string {
  let path = file;
  if (path.startsWith('file:')) {
    try {
      path = fileURLToPath(path.replace(/[?#].*$/, ''));
    } catch {
      return path;
    }
  } else {
    path = path.replace(/\?.*$/, '');
  }
  return path;
}

/**
 * `<package name>/<path from the package root>` for a file inside a package; the path from the working
 * directory, or as given, otherwise (eval'd code, `node:` internals, a REPL).
 */
function moduleName(file: string | undefined): string {
  if (file === undefined) return '<unknown>';
  let name = moduleNames.get(file);
  if (name === undefined) {
    const path = toPath(file);
    const root = isAbsolute(path) ? packageRoot(dirname(path)) : undefined;
    name = root ? `${root.name}/${slashes(relative(root.dir, path))}` : isAbsolute(path) ? slashes(relative(process.cwd(), path)) : path;
    if (moduleNames.size >= MODULES) moduleNames.clear();
    moduleNames.set(file, name);
  }
  return name;
}

/** The nearest directory at or above `dir` whose package.json has a name (a nameless one only sets `type`). */
function packageRoot(dir: string): { dir: string; name: string } | undefined {
  if (packageRoots.has(dir)) return packageRoots.get(dir);
  let root: { dir: string; name: string } | undefined;
  const name = manifestName(dir);
  if (name !== undefined) {
    root = { dir, name };
  } else {
    const parent = dirname(dir);
    root = parent === dir ? undefined : packageRoot(parent);
  }
  if (packageRoots.size >= MODULES) packageRoots.clear();
  packageRoots.set(dir, root);
  return root;
}

function manifestName(dir: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(`${dir}${sep}package.json`, 'utf8')) as { name?: unknown } | null;
    return typeof manifest?.name === 'string' && manifest.name !== '' ? manifest.name : undefined;
  } catch {
    return undefined;
  }
}

function slashes(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
