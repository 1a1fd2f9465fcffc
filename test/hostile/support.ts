/**
 * What the hostile suite shares: the four frameworks through the scenario harness, the three stores,
 * raw HTTP for what fetch will not send (absolute-form targets, fragments, a client that never reads),
 * and a hang detector.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createLarder, type Larder, type LarderEvent, type LarderOptions } from '@larder/core';
import { expressFramework } from '../http/express-framework.js';
import { withLarder, type AppSetup, type Framework, type Native, type RouteSpec, type RunningApp } from '../http/harness.js';
import { koaFramework } from '../http/koa-framework.js';
import { takeWarnings } from '../support/quiet.js';
import { maybeRedis, type RedisServer } from '../support/redis-server.js';

export { deferred } from '../support/async.js';
export type { Native } from '../http/harness.js';

export const frameworks: Framework[] = [
  expressFramework('Express 5', express),
  expressFramework('Express 4', express4 as unknown as typeof express),
  koaFramework('Koa 3', Koa),
  koaFramework('Koa 2', Koa2 as unknown as typeof Koa),
];

/** A value an attacker plants, unique per test so that no response can contain it by accident. */
export function marker(label = 'EVIL'): string {
  return `${label}${randomBytes(6).toString('hex')}`;
}

/** Per test: a larder, its events, the warnings emitted, and apps started on it (closed afterwards). */
export interface Arena {
  larder: Larder;
  events: Array<[string, LarderEvent]>;
  /** The messages of the warnings emitted so far in this test (attacks provoke the guard's on purpose). */
  readonly warnings: string[];
  /** Starts an app whose cached routes use this arena's larder. */
  start(setup: AppSetup): Promise<RunningApp>;
  /** Replaces the larder (another store) for the apps started next. */
  use(options: LarderOptions): Larder;
}

/**
 * Sets up an {@link Arena} around each test of the enclosing describe. The attacks provoke the
 * guard's warnings on purpose: the arena takes them (quiet.ts), and a test that cares asserts them.
 */
export function arena(framework: Framework, options: () => LarderOptions = () => ({})): Arena {
  const state = { apps: [] as RunningApp[], larders: [] as Larder[], warnings: [] as string[] };
  const it: Arena = {
    larder: undefined as unknown as Larder,
    events: [],
    get warnings() {
      state.warnings.push(...takeWarnings().map((warning) => warning.message));
      return state.warnings;
    },
    async start(setup) {
      const routes = setup.routes.map((route): RouteSpec => (route.cached ? { ...route, cached: withLarder(it.larder, route.cached as [unknown?, unknown?]) } : route));
      const appLevelCached = setup.appLevelCached ? withLarder(it.larder, setup.appLevelCached as [unknown?, unknown?]) : undefined;
      const app = await framework.start({ ...setup, routes, appLevelCached });
      state.apps.push(app);
      return app;
    },
    use(larderOptions) {
      const larder = createLarder(larderOptions);
      state.larders.push(larder);
      for (const name of ['hit', 'miss', 'stale', 'set', 'bypass', 'error', 'evict'] as const) larder.on(name, (e: LarderEvent) => it.events.push([name, e]));
      it.larder = larder;
      return larder;
    },
  };
  beforeEach(() => {
    it.events = [];
    state.warnings = [];
    it.use(options());
  });
  afterEach(async () => {
    for (const app of state.apps.splice(0)) await app.close();
    for (const larder of state.larders.splice(0)) await larder.close().catch(() => {});
    takeWarnings();
  });
  return it;
}

/** GET (or another method) with fetch, answered as text with the headers that matter here. */
export async function get(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<{ status: number; text: string; cache: string | null; headers: Headers }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text(), cache: response.headers.get('x-cache'), headers: response.headers };
}

/**
 * Sends `head` (the request line and headers, CRLF-separated, without the blank line) over a raw
 * socket and returns the whole response as text: for request targets fetch will not send.
 */
export function rawRequest(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(`${head}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** A client that sends a request and never reads the answer: its socket stays paused. */
export function stalledClient(url: string, path: string): { socket: Socket; received(): number } {
  const { hostname, port, host } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
  socket.pause();
  // Keep the kernel's receive buffer as small as it goes, so that the server's writes back up.
  socket.once('connect', () => socket.setNoDelay(true));
  return { socket, received: () => socket.bytesRead };
}

/** A TCP server that accepts connections and never answers: a store that is up but silent. */
export async function silentServer(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with `promise`, or rejects when it has not settled after `ms`: a hang detector, not a timing assertion. */
export async function settles<T>(promise: Promise<T>, ms = 5_000, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms: it hangs`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** A temporary directory removed after the enclosing describe. */
export function tempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => dir!;
}

/** A real redis-server for the enclosing describe (undefined when it is not installed; CI requires it). */
export function redisServer(): () => RedisServer | undefined {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await maybeRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => redis;
}

/** The header value of `name` a native request carries, read without the guard (front middleware). */
export function frontHeader(native: Native, name: string): string | undefined {
  const headers = native.kind === 'express' ? native.req.headers : native.ctx.req.headers;
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
