/**
 * What the browser says about where a request came from: `same-origin`, `cross-origin`, or `unknown`
 * when it says nothing (curl, scripts, very old browsers).
 *
 * `Sec-Fetch-Site` is set by the browser and cannot be forged by a page; it decides when present.
 * Otherwise `Origin` must name this host (`null`, sent by sandboxed frames and some redirects, is not it).
 */
export function requestOrigin(header: (name: string) => string | undefined): 'same-origin' | 'cross-origin' | 'unknown' {
  const site = header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' ? 'same-origin' : 'cross-origin';
  const origin = header('origin');
  if (origin === undefined) return 'unknown';
  const host = header('host');
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase() ? 'same-origin' : 'cross-origin';
  } catch {
    return 'cross-origin';
  }
}
