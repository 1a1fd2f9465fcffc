import { defaultLarder } from '../default-larder.js';
import type { Larder } from '../larder.js';
import { clearAction, invalidateAction, type ActionResult } from './actions.js';
import { InspectorAuth, sessionCookie } from './auth.js';
import { FormError } from './form.js';
import { renderLogin } from './login-page.js';
import { larderMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { inspectorSettings, type InspectorSettings } from './options.js';
import { renderDashboard, type Flash } from './page.js';
import { htmlPage, json, respond, seeOther, type InspectorResponse } from './responses.js';
import { requestOrigin } from './same-origin.js';
import { takeSnapshot } from './snapshot.js';

/** A request to the inspector, as an adapter sees it. */
export interface InspectorRequest {
  method: string;
  /** The path below the mount (`/`, `/stats.json`); `''` counts as `/`. */
  path: string;
  /** The query string without `?`. */
  search: string;
  /** The absolute path the inspector is mounted at (`/_larder`; `''` at the root), without a trailing slash. */
  mount: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** Whether the request came over HTTPS, as the framework sees it (trusting proxies as configured). */
  secure: boolean;
  /** The fields of the urlencoded body; read only for actions, once authorized. */
  form(): Promise<URLSearchParams>;
  /** The larder `provideLarder()` installed for this request, if any. */
  larder?: Larder;
}

const READS = new Set(['/', '/stats.json', '/metrics']);
const ACTIONS = new Set(['/clear', '/invalidate', '/logout']);

/**
 * The framework-free inspector: a page, `stats.json` and Prometheus `metrics` of a larder, and
 * actions that clear a cache or invalidate a tag, all behind a token. The Express and Koa adapters
 * (`larderInspector()`) only translate requests and responses.
 */
export class Inspector {
  readonly #settings: InspectorSettings;
  readonly #auth: InspectorAuth;

  /** @throws BadOptionError without a token, or with an unknown option. */
  constructor(options: unknown) {
    this.#settings = inspectorSettings(options);
    this.#auth = new InspectorAuth(this.#settings.token);
  }

  /** Answers one request. Never rejects. */
  async handle(req: InspectorRequest): Promise<InspectorResponse> {
    try {
      return await this.#route(req);
    } catch (error) {
      if (error instanceof FormError) return json(error.status, { error: error.message });
      return json(500, { error: 'the inspector failed to answer', detail: String(error) });
    }
  }

  async #route(req: InspectorRequest): Promise<InspectorResponse> {
    const path = req.path === '' ? '/' : req.path;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const now = Date.now();
    if (path === '/login' && method === 'POST') return this.#login(req, now);
    const via = this.#auth.bearer(req.header('authorization')) ? 'bearer' : this.#auth.session(req.header('cookie'), now) ? 'session' : undefined;
    if (via === undefined) return this.#unauthorized(req);
    if (READS.has(path)) return method === 'GET' ? this.#read(req, path) : notAllowed('GET, HEAD');
    if (!ACTIONS.has(path)) return json(404, { error: `no such page: ${path}` });
    if (method !== 'POST') return notAllowed('POST');
    const origin = requestOrigin((name) => req.header(name));
    // A browser's cookie rides along on forged cross-site forms; a bearer token never does.
    if (origin === 'cross-origin' || (origin === 'unknown' && via === 'session')) {
      return json(403, { error: 'cross-origin request refused: actions must come from the inspector page itself' });
    }
    if (path === '/logout') return seeOther(`${req.mount}/`, { 'Set-Cookie': sessionCookie('', cookiePath(req), req.secure) });
    const larder = this.#larder(req);
    const form = await req.form();
    const result = path === '/clear' ? await clearAction(larder, form) : await invalidateAction(larder, form);
    return this.#afterAction(req, result);
  }

  #read(req: InspectorRequest, path: string): InspectorResponse {
    const larder = this.#larder(req);
    if (path === '/metrics') return respond(200, PROMETHEUS_CONTENT_TYPE, larderMetrics(larder));
    const snapshot = takeSnapshot(larder);
    if (path === '/stats.json') return json(200, snapshot);
    const query = new URLSearchParams(req.search);
    const refresh = Number(query.get('refresh'));
    const refreshSeconds = Number.isInteger(refresh) && refresh >= 2 && refresh <= 3600 ? refresh : 0;
    const page = renderDashboard(snapshot, { mount: req.mount, flash: flashOf(query), refreshSeconds });
    return htmlPage(200, { title: `Larder inspector · ${snapshot.store}`, ...page, refreshSeconds });
  }

  async #login(req: InspectorRequest, now: number): Promise<InspectorResponse> {
    if (requestOrigin((name) => req.header(name)) === 'cross-origin') return json(403, { error: 'cross-origin login refused' });
    const token = (await req.form()).get('token') ?? '';
    if (!this.#auth.isToken(token)) return htmlPage(401, { title: 'Larder inspector', body: renderLogin(req.mount, true) });
    return seeOther(`${req.mount}/`, { 'Set-Cookie': sessionCookie(this.#auth.issue(now), cookiePath(req), req.secure) });
  }

  #unauthorized(req: InspectorRequest): InspectorResponse {
    const challenge = { 'WWW-Authenticate': 'Bearer realm="larder inspector"' };
    if (req.method === 'GET' && (req.header('accept') ?? '').includes('text/html')) {
      return htmlPage(401, { title: 'Larder inspector', body: renderLogin(req.mount, false) }, challenge);
    }
    return json(401, { error: 'unauthorized: send Authorization: Bearer <token>' }, challenge);
  }

  #afterAction(req: InspectorRequest, result: ActionResult): InspectorResponse {
    if ((req.header('accept') ?? '').includes('text/html')) {
      const query = new URLSearchParams(result.ok ? { done: result.done, ...result.subject } : { error: result.error });
      return seeOther(`${req.mount}/?${query}`);
    }
    return json(result.ok ? 200 : result.status, result.ok ? { ok: true, done: result.done, ...result.subject } : { ok: false, error: result.error });
  }

  #larder(req: InspectorRequest): Larder {
    return this.#settings.larder ?? req.larder ?? defaultLarder();
  }
}

function notAllowed(allow: string): InspectorResponse {
  return json(405, { error: `method not allowed; use ${allow}` }, { Allow: allow });
}

/** The session cookie is sent to the inspector only, never to the rest of the app. */
function cookiePath(req: InspectorRequest): string {
  return req.mount === '' ? '/' : req.mount;
}

/** The message after an action, rebuilt from the redirect's query (never echoing free text as markup). */
function flashOf(query: URLSearchParams): Flash | undefined {
  const error = query.get('error');
  if (error) return { kind: 'error', text: error };
  switch (query.get('done')) {
    case 'cleared':
      return { kind: 'ok', text: `Cleared ${query.get('cache') ?? ''}. Its next request computes afresh.` };
    case 'cleared-all':
      return { kind: 'ok', text: 'Cleared every entry in the store.' };
    case 'invalidated':
      return { kind: 'ok', text: `Invalidated tag ${query.get('tag') ?? ''}: entries written with it read as misses from now on.` };
    default:
      return undefined;
  }
}
