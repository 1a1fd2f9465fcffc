import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import type { TlsFiles } from './tls.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;

/**
 * A real, throwaway `redis-server` on a free loopback port, without persistence. `stop()` kills it and
 * `start()` brings it back on the same port, so tests can take Redis away and give it back.
 *
 * @example
 * const redis = await maybeRedis();            // undefined (and one loud warning) when redis-server is missing
 * describe.skipIf(!redis)('with Redis', () => { ... redis!.url ... });
 * afterAll(() => redis?.stop());
 */
export class RedisServer {
  readonly port: number;
  readonly #options: RedisServerOptions;
  #child: ChildProcess | undefined;

  private constructor(port: number, options: RedisServerOptions = {}) {
    this.port = port;
    this.#options = options;
  }

  /** Picks a free port without starting the server (to test a store created while Redis is down). */
  static async reserve(options: RedisServerOptions = {}): Promise<RedisServer> {
    return new RedisServer(await freePort(), options);
  }

  /** Picks a free port and starts the server there. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    // Another process may grab the port between probing and binding; try a few.
    for (let attempt = 1; ; attempt++) {
      const server = await RedisServer.reserve(options);
      try {
        await server.start();
        return server;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  /** `redis://127.0.0.1:<port>`, or `rediss://…` for a TLS server. */
  get url(): string {
    return `${this.#options.tls ? 'rediss' : 'redis'}://${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts (or restarts) the server on its port and resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child) return;
    const { tls, args = [] } = this.#options;
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const child = spawn(
      'redis-server',
      [...listen, '--bind', HOST, '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.#child = child;
    child.once('error', (error) => {
      stderr += String(error);
      if (this.#child === child) this.#child = undefined;
    });
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.once('exit', () => {
      process.off('exit', kill);
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await ping(this.port, tls))) {
      if (!this.#child || Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server did not start on port ${this.port}: ${stderr.trim() || 'no answer to PING'}`);
      }
      await sleep(20);
    }
  }

  /** Stops the process with SIGSTOP: connections stay open and nothing answers (a hung server). */
  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Resumes a frozen server (SIGCONT). */
  thaw(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Kills the server (like a crash: no shutdown handshake) and resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** How to start a {@link RedisServer}. */
export interface RedisServerOptions {
  /** More command-line configuration, e.g. `['--rename-command', 'HELLO', '']` for a server without RESP3. */
  args?: string[];
  /** Serve TLS only, with these files (see tls.ts); the URL is then `rediss://`. */
  tls?: TlsFiles;
}

/** Whether `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  return !spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error;
}

let warned = false;

/**
 * A started {@link RedisServer}, or undefined when `redis-server` is not installed, after a loud warning
 * (once per process). In CI (`CI=true`) a missing `redis-server` throws instead: Redis tests must run there.
 */
export async function maybeRedis(options: { start?: boolean } = {}): Promise<RedisServer | undefined> {
  if (!hasRedisServer()) {
    if (process.env.CI === 'true') {
      throw new Error('redis-server is not on PATH, and CI=true requires the Redis tests to run (apt-get install -y redis-server).');
    }
    if (!warned) {
      warned = true;
      console.warn(
        '\n*** WARNING: redis-server is not on PATH; the Redis store tests are SKIPPED. ***\n' +
          '*** Install it (apt-get install -y redis-server / brew install redis) to run them. ***\n',
      );
    }
    return undefined;
  }
  return options.start === false ? RedisServer.reserve() : RedisServer.start();
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

/** One inline PING over a raw socket: true on `+PONG` (or `-NOAUTH`), false on anything else or a refused connection. */
async function ping(port: number, tls?: TlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = tls ? tlsConnect({ host: HOST, port, ca: tls.caPem, servername: 'localhost' }) : createConnection({ host: HOST, port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // NOAUTH: the server is up, and wants a user (a test of credentials turned the default user off).
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}
