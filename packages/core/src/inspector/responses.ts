import { randomBytes } from 'node:crypto';
import { htmlDocument } from './html.js';
import { STYLES } from './styles.js';

/** What the inspector answers; adapters write it as it is. */
export interface InspectorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sent with every answer. Nothing the inspector serves may be cached, framed, sniffed as another
 * type, or load anything: the page is one HTML document with one nonce'd `<style>` and no script.
 */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** A response with the security headers, a `Content-Type` and a `Content-Length`. */
export function respond(status: number, type: string, body: string, headers: Record<string, string> = {}): InspectorResponse {
  return {
    status,
    headers: { ...BASE_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers },
    body,
  };
}

/** An HTML page under a CSP that allows its own `<style>` (by a fresh nonce) and inline images, nothing else. */
export function htmlPage(status: number, page: { title: string; body: string; css?: string; refreshSeconds?: number }, headers: Record<string, string> = {}): InspectorResponse {
  const nonce = randomBytes(16).toString('base64');
  const html = htmlDocument({ title: page.title, nonce, css: STYLES + (page.css ?? ''), body: page.body, refreshSeconds: page.refreshSeconds });
  return respond(status, 'text/html; charset=utf-8', html, {
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    ...headers,
  });
}

/** A JSON answer (pretty-printed: people read it with curl). */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): InspectorResponse {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n', headers);
}

/** A `303 See Other` to a page of the inspector (after a form was handled). */
export function seeOther(location: string, headers: Record<string, string> = {}): InspectorResponse {
  return respond(303, 'text/plain; charset=utf-8', `See ${location}\n`, { Location: location, ...headers });
}
