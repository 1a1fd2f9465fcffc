import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { InputGuard, PropertyWatch } from './guard.js';

/**
 * Where a handler can read request inputs, pointed at by an adapter and watched by the guard. The
 * framework-free part is Node's request (its headers in every form, and the client's address on its
 * socket); an adapter adds its framework's objects: the properties middleware in front of `cached()`
 * put on them (a snapshot, whatever their names), its bags of per-request values, and its getters
 * over the client's address. Each function returns the undo.
 */

/** Properties Node itself puts on every request (and its header getters): never per-request state. */
const NODE_OWN: ReadonlySet<string> = new Set([
  ...Object.keys(new IncomingMessage(new Socket())),
  'headers', 'headersDistinct', 'trailers', 'trailersDistinct',
]);

/** The client's address and port on a socket: per-client input, whatever reads it. */
const CLIENT_ADDRESS = ['remoteAddress', 'remotePort', 'remoteFamily'] as const;

/**
 * The guards of the requests running on each socket (HTTP/1.1 pipelining can run several), read by
 * one accessor per socket property installed on first use: requests never undo each other's view.
 */
const socketGuards = new WeakMap<object, Set<InputGuard>>();

/** Watches Node's request: `headers`, `rawHeaders`, `headersDistinct` and the socket's client address. */
export function watchIncoming(guard: InputGuard, req: IncomingMessage): () => void {
  const undo = [
    // Node builds `headers` and `headersDistinct` from `rawHeaders` on first use: only the handler's reads count.
    guard.watchProperty(req, 'headers', { view: (headers) => guard.watchHeaders(headers as object), quiet: 'all' }),
    guard.watchProperty(req, 'headersDistinct', { view: (headers) => guard.watchHeaders(headers as object), quiet: 'all' }),
    guard.watchProperty(req, 'rawHeaders', { view: (raw) => guard.watchRawHeaders(raw as string[]) }),
  ];
  const socket = req.socket as Socket | null;
  if (socket) undo.push(watchSocket(guard, socket));
  return undoAll(undo);
}

/**
 * Watches the properties of `target` that middleware in front of `cached()` attached (every own
 * property not in `baseline` nor private by the `_` convention), and those named in `always`
 * whether present or not: each is per-request state, recorded as `<prefix><name>`.
 */
export function watchOwnState(guard: InputGuard, target: object, options: { baseline: ReadonlySet<string>; always?: readonly string[]; prefix?: string }): () => void {
  const { baseline, always = [], prefix = '' } = options;
  const names = new Set(always);
  // (A cached() in front of this one turned the properties it watches into accessors: they are still
  // the same state, watched again here, and its getters are in `baseline`.)
  for (const name of Object.keys(target)) {
    if (!name.startsWith('_') && !baseline.has(name) && !NODE_OWN.has(name)) names.add(name);
  }
  return undoAll([...names].map((name) => guard.watchProperty(target, name, { input: `${prefix}${name}`, kind: 'state' })));
}

/** Watches a bag of per-request values held in `owner[property]` (`res.locals`, `ctx.state`). */
export function watchBag(guard: InputGuard, owner: object, property: string, options: { prefix: string; always?: readonly string[] }): () => void {
  return guard.watchProperty(owner, property, { view: (bag) => guard.watchBag(bag as object, options.prefix, options.always) });
}

/** Watches framework getters: `{ ip: { input: 'ip', kind: 'client' }, protocol: { quiet: ['ip'] } }`. */
export function watchGetters(guard: InputGuard, target: object, getters: Readonly<Record<string, PropertyWatch>>): () => void {
  return undoAll(Object.entries(getters).map(([name, watch]) => guard.watchProperty(target, name, watch)));
}

/** Runs every undo, last first. */
export function undoAll(undo: ReadonlyArray<() => void>): () => void {
  return () => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  };
}

function watchSocket(guard: InputGuard, socket: Socket): () => void {
  let guards = socketGuards.get(socket);
  if (guards === undefined) {
    const active = (guards = new Set());
    socketGuards.set(socket, active);
    for (const name of CLIENT_ADDRESS) {
      const own = Object.getOwnPropertyDescriptor(socket, name);
      if (own?.configurable === false) continue;
      Object.defineProperty(socket, name, {
        configurable: true,
        get() {
          for (const watching of active) watching.read('ip', 'client');
          if (own) return own.get ? own.get.call(this) : own.value;
          return Reflect.get(Object.getPrototypeOf(this) as object, name, this);
        },
      });
    }
  }
  const active = guards;
  active.add(guard);
  return () => active.delete(guard);
}
