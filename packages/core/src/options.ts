import { BadOptionError, typeName } from './errors.js';

/**
 * The one check every options object of Larder goes through (createLarder, configure, cacheData,
 * cacheResource, resources.register, cached, provideLarder): it must be a plain object, and every
 * option in it must be one the factory knows. A misspelt option silently ignored is a cache that
 * silently does something else, so an unknown option throws, naming it. Streamlit's spellings get
 * the Larder equivalent, or why there is none.
 */

/** Where an options object is given: its name in messages, the options it takes, a valid call. */
export interface OptionsSpec {
  /** e.g. `cacheData`, `createLarder`, `cached`. */
  readonly factory: string;
  readonly known: readonly string[];
  /** A valid call, shown in the error: `cacheData(fn, { ttl: '1h' })`. */
  readonly example: string;
}

/**
 * Streamlit's option names (st.cache_data, st.cache_resource, the old st.cache), and what a Larder
 * user writes instead. A function of the factory's known options, since the equivalent differs:
 * `max_entries` is `maxEntries` on a function and a store bound on a route.
 */
const STREAMLIT: Record<string, (known: ReadonlySet<string>, factory: string) => string> = {
  max_entries: (known) =>
    known.has('maxEntries')
      ? "Streamlit's max_entries is maxEntries in Larder: { maxEntries: 100 }"
      : "Streamlit's max_entries has no per-route equivalent: bound the store instead, createLarder({ maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 })",
  hash_funcs: (known) =>
    known.has('hashFuncs')
      ? "Streamlit's hash_funcs is hashFuncs in Larder: { hashFuncs: new Map([[MyClass, (value) => value.id]]) }, keyed by class or class name"
      : `Streamlit's hash_funcs belongs to cached functions and routes: cacheData(fn, { hashFuncs }), cached({ hashFuncs })`,
  persist: () =>
    "Streamlit's persist is a property of the store in Larder, not of a function: configure({ store: 'sqlite://./.larder/cache.sqlite' }) " +
    "keeps entries on disk across restarts (persist='disk'), 'redis://host:6379' shares them between processes",
  show_spinner: () =>
    "Streamlit's show_spinner has no equivalent: a server has no page to show a spinner on. " +
    "Time misses with larder.on('miss', (event) => event.durationMs), or the Server-Timing header of cached() routes",
  show_time: () =>
    "Streamlit's show_time has no equivalent: a server has no page to show it on. " +
    "Each 'miss' event carries durationMs, and larder.stats() the compute time per function",
  scope: () =>
    "Streamlit's scope has no equivalent: a server has no sessions, so every Larder cache is app-wide (scope='global'). " +
    'For per-user values make the user an argument of the function (or cached({ key: (req) => req.user.id }) on a route)',
  experimental_allow_widgets: () =>
    "Streamlit's experimental_allow_widgets has no equivalent: there are no widgets on a server; what a widget fed in is an argument of the function",
  allow_output_mutation: () =>
    "Streamlit's allow_output_mutation (old st.cache) is the choice between two functions in Larder: cacheResource returns the same object " +
    'to every caller (mutations are shared), cacheData returns a fresh copy on every call',
  suppress_st_warning: () =>
    "Streamlit's suppress_st_warning (old st.cache) has no equivalent and can be deleted: Larder's warnings go through process.emitWarning",
  on_release: (known) =>
    known.has('onRelease')
      ? "Streamlit's on_release is onRelease in Larder: { onRelease: (pool) => pool.end() }"
      : known.has('dispose')
        ? "Streamlit's on_release is dispose in the resource registry: { dispose: (pool) => pool.end() }"
        : 'only resources are released: cacheResource(fn, { onRelease }) or resources.register(name, factory, { dispose })',
  validate: (_known, factory) =>
    `${factory} has no validate: ${factory === 'cacheData' ? 'its callers get copies, not a live object that can go bad' : 'it keeps no live objects'}` +
    ' (Streamlit has validate on st.cache_resource only). Use cacheResource(fn, { validate }) or resources.register(name, factory, { validate })',
  func: (_known, factory) => `pass the function as the first argument: ${factory}(fn, options)`,
};

/** Larder's own names that one factory spells differently from another. */
const SIBLINGS: Record<string, Record<string, string>> = {
  onRelease: { dispose: "resources.register calls it dispose: { dispose: (pool) => pool.end() }" },
  dispose: { onRelease: "cacheResource calls it onRelease: { onRelease: (pool) => pool.end() }" },
};

/**
 * Validates an options object against the options its factory knows. `undefined` stands for `{}`.
 * @throws BadOptionError naming the first unknown option, with its Larder equivalent when it is a
 *   Streamlit name, a near miss of a known option, or another factory's spelling.
 * @example checkOptions(options, { factory: 'cacheData', known: ['ttl', 'maxEntries'], example: "cacheData(fn, { ttl: '1h' })" });
 */
export function checkOptions<T extends object>(options: T | undefined, spec: OptionsSpec): T {
  if (options === undefined) return {} as T;
  const proto: unknown = options !== null && typeof options === 'object' ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    const hint = typeof (options as { space?: unknown } | null)?.space === 'function' ? ` (to use a larder, pass { larder })` : '';
    throw new BadOptionError('options', `${spec.factory} expects an options object, got ${typeName(options)}${hint}`, spec.example);
  }
  for (const name of Object.keys(options)) {
    // A short list: scanning it is cheaper than building a Set on every call (a wrapper may be created per request).
    if (spec.known.includes(name)) continue;
    throw new BadOptionError(name, `${spec.factory} has no option '${name}'; ${suggestion(name, new Set(spec.known), spec.factory)}`, spec.example);
  }
  return options;
}

function suggestion(name: string, known: ReadonlySet<string>, factory: string): string {
  const streamlit = Object.hasOwn(STREAMLIT, name) ? STREAMLIT[name]! : undefined;
  if (streamlit) return streamlit(known, factory);
  for (const [sibling, hint] of Object.entries(SIBLINGS[name] ?? {})) if (known.has(sibling)) return hint;
  const near = [...known].find((option) => loose(option) === loose(name));
  if (near) return `did you mean '${near}'?`;
  return `its options are ${[...known].join(', ')}`;
}

/** `max_entries`, `MaxEntries` and `max-entries` all read as `maxentries`. */
function loose(name: string): string {
  return name.replace(/[-_\s]/g, '').toLowerCase();
}
