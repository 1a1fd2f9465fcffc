import { fileURLToPath } from 'node:url';

/** The repository root: servers and probes run with it as their working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** Scratch space for SQLite files, Redis and partial results; bench/.tmp/ is git-ignored. */
export const TMP_DIR = fileURLToPath(new URL('../.tmp/', import.meta.url));
/** tsx config for child processes: no `paths`, so @larder/* resolve to the built packages. */
export const RUNTIME_TSCONFIG = fileURLToPath(new URL('../tsconfig.runtime.json', import.meta.url));
