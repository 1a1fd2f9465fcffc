import { describe, expect, it } from 'vitest';
import { createLarder } from '../src/index.js';
import { InspectorAuth, SESSION_MS } from '../src/inspector/auth.js';
import { Inspector, type InspectorRequest } from '../src/inspector/inspector.js';
import { requestOrigin } from '../src/inspector/same-origin.js';

const TOKEN = 'a-long-random-inspector-token';
const NOW = 1_700_000_000_000;

/** A request as an adapter would build it, for the framework-free handler. */
function request(over: Partial<InspectorRequest> & { headers?: Record<string, string>; body?: string }): InspectorRequest {
  const headers = Object.fromEntries(Object.entries(over.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'GET',
    path: '/',
    search: '',
    mount: '/ops/cache',
    secure: false,
    header: (name) => headers[name],
    form: async () => new URLSearchParams(over.body ?? ''),
    ...over,
  };
}

describe('the inspector session', () => {
  const auth = new InspectorAuth(TOKEN);
  const cookie = (value: string) => `other=1; larder_inspector=${value}`;

  it('opens with a cookie issued for this token, until it is twelve hours old', () => {
    const value = auth.issue(NOW);
    expect(auth.session(cookie(value), NOW)).toBe(true);
    expect(auth.session(cookie(value), NOW + SESSION_MS - 1)).toBe(true);
    expect(auth.session(cookie(value), NOW + SESSION_MS)).toBe(false);
  });

  it('never holds the token', () => {
    expect(auth.issue(NOW)).not.toContain(TOKEN);
  });

  it('refuses a cookie with a changed time, a changed signature, or issued for another token', () => {
    const [issued, signature] = auth.issue(NOW).split('.') as [string, string];
    expect(auth.session(cookie(`${(NOW + 1000).toString(36)}.${signature}`), NOW + 2000)).toBe(false);
    expect(auth.session(cookie(`${issued}.${signature.slice(1)}A`), NOW)).toBe(false);
    expect(auth.session(cookie(new InspectorAuth('another-token').issue(NOW)), NOW)).toBe(false);
    expect(auth.session(cookie(`${issued}.`), NOW)).toBe(false);
    expect(auth.session(cookie('garbage'), NOW)).toBe(false);
    expect(auth.session(undefined, NOW)).toBe(false);
  });

  it('refuses a cookie dated in the future', () => {
    expect(auth.session(cookie(auth.issue(NOW + 60_000)), NOW)).toBe(false);
  });

  it('accepts the token as a bearer credential only', () => {
    expect(auth.bearer(`Bearer ${TOKEN}`)).toBe(true);
    expect(auth.bearer(`bearer ${TOKEN}`)).toBe(true);
    expect(auth.bearer(`Bearer ${TOKEN.slice(0, -1)}`)).toBe(false);
    expect(auth.bearer(`Bearer ${TOKEN} extra`)).toBe(false);
    expect(auth.bearer(TOKEN)).toBe(false);
    expect(auth.bearer(undefined)).toBe(false);
  });
});

describe('where a request came from', () => {
  const from = (headers: Record<string, string>) => requestOrigin((name) => headers[name]);

  it('trusts Sec-Fetch-Site over Origin', () => {
    expect(from({ 'sec-fetch-site': 'same-origin', origin: 'http://evil.example', host: 'app.test' })).toBe('same-origin');
    expect(from({ 'sec-fetch-site': 'same-site', origin: 'http://app.test', host: 'app.test' })).toBe('cross-origin');
  });

  it('compares Origin with Host when the browser sends no Sec-Fetch-Site', () => {
    expect(from({ origin: 'http://app.test:8080', host: 'app.test:8080' })).toBe('same-origin');
    expect(from({ origin: 'http://app.test:8081', host: 'app.test:8080' })).toBe('cross-origin');
    expect(from({ origin: 'null', host: 'app.test' })).toBe('cross-origin');
    expect(from({ host: 'app.test' })).toBe('unknown');
  });
});

describe('Inspector', () => {
  it('marks the session cookie Secure when the request came over HTTPS, and scopes it to the mount', async () => {
    const inspector = new Inspector({ token: TOKEN, larder: createLarder() });
    const login = (secure: boolean) =>
      inspector.handle(request({ method: 'POST', path: '/login', secure, body: `token=${TOKEN}`, headers: { 'Sec-Fetch-Site': 'same-origin' } }));
    expect((await login(true)).headers['Set-Cookie']).toMatch(/; Path=\/ops\/cache; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    expect((await login(false)).headers['Set-Cookie']).not.toContain('Secure');
  });

  it('links every page to its mount', async () => {
    const inspector = new Inspector({ token: TOKEN, larder: createLarder() });
    const page = await inspector.handle(request({ headers: { Authorization: `Bearer ${TOKEN}` } }));
    expect(page.body).toContain('action="/ops/cache/clear"');
    expect(page.body).toContain('href="/ops/cache/metrics"');
  });

  it('turns an action that fails (here: on a closed larder) into a 502 with the reason, not a crash', async () => {
    const larder = createLarder();
    await larder.close();
    const inspector = new Inspector({ token: TOKEN, larder });
    const res = await inspector.handle(request({ method: 'POST', path: '/invalidate', body: 'tag=users', headers: { Authorization: `Bearer ${TOKEN}` } }));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error).toMatch(/^The store did not complete the action: This larder was closed/);
  });
});
