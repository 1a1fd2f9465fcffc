import { readFileSync } from 'node:fs';
import { StoreConfigError } from '../../errors.js';

/** What a store URL says beyond where the store is. */
export interface StoreUrlParams {
  /** `?namespace=`: the prefix of this app's keys. */
  namespace?: string;
  /** `?ca=<path>` (rediss:// only): the PEM file of the certificate authority that signed the server's certificate. */
  ca?: Buffer;
}

const EXAMPLES =
  `Use one of:\n` +
  `  store: 'memory://'                                   (in-process, the default)\n` +
  `  store: 'sqlite://./.larder/cache.sqlite'             (a file relative to the working directory)\n` +
  `  store: 'sqlite:///var/cache/larder.sqlite'           (an absolute path)\n` +
  `  store: 'redis://localhost:6379'                      ('redis://host:6379/2' for database 2)\n` +
  `  store: 'redis://user:password@host:6379/0?namespace=shop'\n` +
  `  store: 'rediss://host:6380?ca=/etc/ssl/redis-ca.pem' (TLS; without ?ca, Node's trusted CAs and NODE_EXTRA_CA_CERTS)\n` +
  `or pass a Keyv instance or a Keyv storage adapter, e.g. store: new Keyv(new KeyvPostgres(url)).`;

/** The error for a `store` option Larder cannot use, with the URLs it can. */
export function invalidStore(problem: string, cause?: unknown): StoreConfigError {
  return new StoreConfigError(`Invalid option 'store': ${problem}.\n${EXAMPLES}`, { cause });
}

/** Store URLs often carry a password; messages end up in logs. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:***@');
}

/**
 * Splits Larder's own parameters off a store URL: `?namespace=` (every shared store) and `?ca=` (where
 * `allowCa`). Anything else after `?` is refused, so that a typo does not silently change nothing.
 * Returns the URL without them.
 */
export function splitStoreParams(url: string, allowCa: boolean): { url: string; params: StoreUrlParams } {
  const mark = url.indexOf('?');
  if (mark === -1) return { url, params: {} };
  const params: StoreUrlParams = {};
  const known = allowCa ? ['namespace', 'ca'] : ['namespace'];
  for (const [name, value] of new URLSearchParams(url.slice(mark + 1))) {
    if (!known.includes(name)) {
      throw invalidStore(`${JSON.stringify(redact(url))} has an unknown parameter '${name}' (known: ${known.map((k) => `?${k}=`).join(', ')})`);
    }
    if (value === '') throw invalidStore(`${JSON.stringify(redact(url))} has an empty '${name}'`);
    if (name === 'namespace') params.namespace = value;
    else params.ca = readCa(value);
  }
  return { url: url.slice(0, mark), params };
}

/** `?namespace=` in the URL, the `namespace` option, or neither; both only when they agree. */
export function chooseNamespace(url: string, option: string | undefined, inUrl: string | undefined): string | undefined {
  if (option !== undefined && inUrl !== undefined && option !== inUrl) {
    throw invalidStore(`${JSON.stringify(redact(url))} says ?namespace=${inUrl}, but the namespace option says '${option}'; give it once`);
  }
  return inUrl ?? option;
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new StoreConfigError(`Invalid option 'store': cannot read the CA file given as ?ca=${path} (${String(cause)}).`, { cause });
  }
}
