/**
 * Test helper: a fleet of app instances (test/fleet/worker.ts), each a real Node process, sharing one store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve('tsx')).href;
/** The repository's tsconfig maps `@larder/*` to the packages' sources. */
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const FLEET_HOST = 'fleet.example';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface WorkerState {
  pid: number;
  runs: Record<string, number>;
  arrived: Record<string, number>;
}

/** Requests to poll and control a worker reuse connections; a burst opens one per request, like separate clients. */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });

export class Worker {
  readonly url: string;
  readonly exited: Promise<void>;
  readonly #child: ChildProcess;
  readonly #stderr: string[];

  private constructor(child: ChildProcess, url: string, stderr: string[]) {
    this.#child = child;
    this.url = url;
    this.#stderr = stderr;
    this.exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  }

  /** Starts a worker on `store`; `env` adds variables (FLEET_NEAR_BYTES). */
  static async start(store: string, env: Record<string, string> = {}): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', TSX, WORKER], {
      cwd: ROOT,
      env: { ...process.env, LARDER_STORE: store, TSX_TSCONFIG_PATH: TSCONFIG, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`worker printed no READY within ${START_TIMEOUT_MS} ms:\n${stderr.join('')}`)), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /READY (\d+)/.exec(output);
        if (ready) {
          clearTimeout(timer);
          resolve(Number(ready[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code ?? signal}) before READY:\n${stderr.join('')}`));
      });
    });
    return new Worker(child, `http://127.0.0.1:${port}`, stderr);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** What the worker wrote to stderr (larder `error` events, warnings). */
  stderr(): string {
    return this.#stderr.join('');
  }

  get(path: string, fresh = false): Promise<Reply> {
    return send(`${this.url}${path}`, 'GET', fresh ? false : keepAlive);
  }

  async post(path: string): Promise<void> {
    const reply = await send(`${this.url}${path}`, 'POST', keepAlive);
    if (reply.status !== 200) throw new Error(`POST ${path}: ${reply.status} ${reply.body}`);
  }

  async state(): Promise<WorkerState> {
    return JSON.parse((await this.get('/__state')).body) as WorkerState;
  }

  /** Kills the process at once, as a crash would (no shutdown, no lease released). */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the worker closes its larder and exits. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.exited;
  }
}

/** `n` workers on one store, started side by side. */
export function startFleet(n: number, store: string, env: Record<string, string> = {}): Promise<Worker[]> {
  return Promise.all(Array.from({ length: n }, () => Worker.start(store, env)));
}

/**
 * `total` concurrent requests for `path`, dealt round-robin over `workers`, each on a connection of its
 * own, all sent in one tick. Resolves with every reply.
 */
export function burst(workers: readonly Worker[], path: string, total: number): Promise<Reply[]> {
  return Promise.all(Array.from({ length: total }, (_, i) => workers[i % workers.length]!.get(path, true)));
}

/** The sum of a counter over the fleet. */
export async function total(workers: readonly Worker[], counter: 'runs' | 'arrived', name: string): Promise<number> {
  const states = await Promise.all(workers.map((worker) => worker.state()));
  return states.reduce((sum, state) => sum + (state[counter][name] ?? 0), 0);
}

function send(url: string, method: string, agent: Agent | false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // One Host for the whole fleet, as behind a load balancer: the host is part of a route's key.
    const req = request(url, { method, agent, headers: { host: FLEET_HOST } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
