import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The session cookie the login form sets. Scoped to the inspector's mount by its `Path`. */
export const SESSION_COOKIE = 'larder_inspector';

/** How long a login lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * Who may use the inspector: whoever presents the token (`Authorization: Bearer <token>`) or a
 * session cookie the login form issued for it.
 *
 * Every comparison is between SHA-256 digests with `timingSafeEqual`: equal lengths whatever was
 * sent, and no early exit that would time how much of a guess was right. The cookie never holds the
 * token: it holds the time of the login and an HMAC of it keyed by the token, so a leaked cookie
 * expires after {@link SESSION_MS}, cannot be turned back into the token, and every session ends
 * when the token changes.
 */
export class InspectorAuth {
  readonly #tokenDigest: Buffer;
  readonly #sessionKey: Buffer;

  constructor(token: string) {
    this.#tokenDigest = sha256(token);
    this.#sessionKey = createHmac('sha256', token).update('larder inspector session v1').digest();
  }

  /** Whether `candidate` is the token. */
  isToken(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.#tokenDigest);
  }

  /** Whether an `Authorization` header carries the token as a bearer credential. */
  bearer(authorization: string | undefined): boolean {
    const match = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return match !== null && this.isToken(match[1]!);
  }

  /** A cookie value for a login at `now`. */
  issue(now: number): string {
    const issued = now.toString(36);
    return `${issued}.${this.#sign(issued)}`;
  }

  /** Whether a `Cookie` header holds a session issued for this token, less than {@link SESSION_MS} ago. */
  session(cookieHeader: string | undefined, now: number): boolean {
    const value = cookieValue(cookieHeader, SESSION_COOKIE);
    const dot = value?.indexOf('.') ?? -1;
    if (value === undefined || dot < 1) return false;
    const issued = value.slice(0, dot);
    const signed = timingSafeEqual(sha256(value.slice(dot + 1)), sha256(this.#sign(issued)));
    const at = parseInt(issued, 36);
    return signed && at <= now && now - at < SESSION_MS;
  }

  #sign(issued: string): string {
    return createHmac('sha256', this.#sessionKey).update(issued).digest('base64url');
  }
}

/** The `Set-Cookie` value of a session (or, with `value` empty, of its removal). */
export function sessionCookie(value: string, path: string, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${value ? SESSION_MS / 1000 : 0}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The first cookie named `name` in a `Cookie` header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
