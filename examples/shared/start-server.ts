/**
 * Test helper: starts an example's server.ts the way `npm start` does (`node --import tsx …`), in a
 * directory of the test's choosing, and waits for the URL it prints.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
/** Absolute, so the server starts from any working directory (`--import tsx` resolves from the cwd). */
const TSX = pathToFileURL(require.resolve('tsx')).href;
/** The repository's tsconfig maps `@larder/*` to the packages' sources, as `npm start` from the root does. */
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

export interface RunningServer {
  url: string;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM, then wait for the process to exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd: string;
  /** @default 0 (any free port) */
  port?: number | string;
  /** LARDER_STORE for the server. @default unset: the server's default store */
  store?: string;
  timeoutMs?: number;
  /** More environment variables for the server (e.g. ORIGIN for the reverse proxy). */
  env?: Record<string, string>;
}

export function startServer(script: string, { cwd, port = 0, store, timeoutMs = 30_000, env: extra = {} }: StartOptions): Promise<RunningServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, PORT: String(port), TSX_TSCONFIG_PATH: TSCONFIG };
  if (store === undefined) delete env.LARDER_STORE;
  else env.LARDER_STORE = store;
  const child = spawn(process.execPath, ['--import', TSX, script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script} printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, output: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** A GET with the Host header a load balancer in front of several instances would send (fetch() cannot set Host). */
export function getWithHost(url: string, host: string): Promise<{ xCache: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ xCache: response.headers['x-cache'] as string | undefined, body }));
    })
      .on('error', reject)
      .end();
  });
}
