/** Stable machine-readable codes carried by every Larder error. */
export type LarderErrorCode =
  | 'ERR_LARDER_UNHASHABLE'
  | 'ERR_LARDER_USER_HASH'
  | 'ERR_LARDER_UNSERIALIZABLE'
  | 'ERR_LARDER_BAD_DURATION'
  | 'ERR_LARDER_RESOURCE'
  | 'ERR_LARDER_BAD_OPTION'
  | 'ERR_LARDER_STORE';

/** Base class of every error Larder throws; `code` is stable across versions. */
export class LarderError extends Error {
  readonly code: LarderErrorCode;

  constructor(code: LarderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An argument (or request value) has no hashing rule.
 * @example `Cannot hash argument 'obj' (of type MyCustomClass) in 'multiplyScore'.`
 */
export class UnhashableParamError extends LarderError {
  readonly argName: string;
  readonly typeName: string;
  readonly functionName: string;

  constructor(argName: string, typeName: string, functionName: string) {
    super(
      'ERR_LARDER_UNHASHABLE',
      `Cannot hash argument '${argName}' (of type ${typeName}) in '${functionName}'.\n\n` +
        `To fix it, do one of:\n` +
        `  - prefix the parameter with an underscore ('_${argName}') so Larder leaves it out of the key;\n` +
        `  - pass hashFuncs, e.g. { hashFuncs: { ${typeName}: (value) => value.id } } (or a Map keyed by the class);\n` +
        `  - give ${typeName} a method [Symbol.for('larder.hashKey')]() that returns a hashable value.`,
    );
    this.argName = argName;
    this.typeName = typeName;
    this.functionName = functionName;
  }
}

/**
 * A user-supplied hash function (`hashFuncs` or a `[Symbol.for('larder.hashKey')]()` method) threw — the
 * original error is in `cause` — or never converges: it returns the value itself, or another value of the
 * same class, which would need the same function again, forever.
 */
export class UserHashError extends LarderError {
  constructor(typeName: string, argName: string, functionName: string, cause: unknown, problem: 'threw' | 'never converges' = 'threw') {
    super(
      'ERR_LARDER_USER_HASH',
      problem === 'threw'
        ? `The hash function for type ${typeName} threw while hashing argument '${argName}' in '${functionName}': ` +
            `${cause instanceof Error ? cause.message : String(cause)}\n` +
            `Fix the function passed in hashFuncs for ${typeName}; the original error is in 'cause'.`
        : `The hash function for type ${typeName} never converges while hashing argument '${argName}' in '${functionName}': ` +
            `it returned the value itself, or another ${typeName} (directly or nested), which would need the same function again.\n` +
            `Return plain data that identifies the value instead, e.g. (value) => value.id.`,
      problem === 'threw' ? { cause } : undefined,
    );
  }
}

/** A `cacheData` result cannot be serialized and restored faithfully. */
export class UnserializableReturnValueError extends LarderError {
  readonly functionName: string;
  readonly typeName: string;

  constructor(functionName: string, typeName: string, path: string, options?: { cause?: unknown }) {
    super(
      'ERR_LARDER_UNSERIALIZABLE',
      `Cannot cache the return value of '${functionName}': ${path} is ${/^an? /.test(typeName) ? typeName : `of type ${typeName}`}, ` +
        `which cannot be serialized and restored faithfully.\n` +
        `cacheData stores results serialized and hands every caller a fresh copy. To share one live object ` +
        `(a client, a model, a connection pool) use cacheResource instead, or return plain data ` +
        `(objects, arrays, Map, Set, Date, Buffer, typed arrays).`,
      options,
    );
    this.functionName = functionName;
    this.typeName = typeName;
  }
}

/** A duration option is not a positive number of seconds, a duration string, `null`, `Infinity` or `"forever"`. */
export class BadDurationError extends LarderError {
  constructor(option: string, value: unknown) {
    super(
      'ERR_LARDER_BAD_DURATION',
      `Invalid duration for '${option}': ${describe(value)}. ` +
        `Use a number of seconds greater than 0 (e.g. 300), a string such as "30s", "5m", "1h 30m", "2 days" or "500ms", ` +
        `or null / Infinity / "forever" for no expiry.`,
    );
  }
}

/** Duplicate or unknown resource name, or use of a resource after `close()`. */
export class ResourceError extends LarderError {
  constructor(message: string) {
    super('ERR_LARDER_RESOURCE', message);
  }
}

/** An option other than a duration is invalid; thrown when the option is given. */
export class BadOptionError extends LarderError {
  constructor(option: string, problem: string, example: string) {
    super('ERR_LARDER_BAD_OPTION', `Invalid option '${option}': ${problem}. Example: ${example}`);
  }
}

/**
 * A store operation that someone waits for (`invalidate()`, `clear()`, `fn.clear()`, `close()`) failed,
 * or the store did not answer within `storeTimeout`. The store's own error, if any, is in `cause`.
 * Requests never see it: for them a store failure is a cache miss.
 */
export class StoreError extends LarderError {
  /** The operation that failed: `invalidate`, `clear`, `delete`, `close`. */
  readonly operation: string;
  /** Whether the store gave no answer within `storeTimeout` (rather than an error). */
  readonly timedOut: boolean;

  constructor(operation: string, store: string, detail: { timeoutMs: number } | { cause: unknown }) {
    const timedOut = 'timeoutMs' in detail;
    super(
      'ERR_LARDER_STORE',
      timedOut
        ? `The ${store} store did not answer ${operation} within ${detail.timeoutMs} ms (storeTimeout). ` +
            `Check that it is reachable and responsive, or raise the bound: createLarder({ storeTimeout: '1s' }).`
        : `The ${store} store failed ${operation}: ${describeCause(detail.cause)}`,
      timedOut ? undefined : { cause: detail.cause },
    );
    this.operation = operation;
    this.timedOut = timedOut;
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** A store could not be created from the `store` option (unknown URL, adapter not installed). */
export class StoreConfigError extends LarderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LARDER_STORE', message, options);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeName(value);
}

/** The name a user would recognise for a value's type: the class name, or `typeof`. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'function';
  if (typeof value !== 'object') return typeof value;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto?.constructor?.name || 'Object';
}
