/**
 * Keeps a green run quiet. While a test runs, warnings sent with `process.emitWarning` (Larder's
 * one-time warnings, a dependency's deprecations) are collected instead of printed, and console
 * output is recorded. A test that expects a warning takes it with {@link takeWarnings} and asserts
 * it; whatever is left when the test ends (a warning nobody took, any console output, a warning Node
 * emitted itself) fails that test, so noise is fixed where it starts instead of scrolling past.
 * `test/support/quiet-setup.ts` wires this into every test file.
 */
import { format } from 'node:util';

/** One warning as `process.emitWarning` received it. */
export interface CapturedWarning {
  /** `Warning`, `DeprecationWarning`, … */
  type: string;
  code: string | undefined;
  message: string;
}

const warnings: CapturedWarning[] = [];
const noise: string[] = [];
let inTest = false;

/**
 * The warnings emitted since the test started (or since the last call), which the test now owns:
 * they no longer fail it.
 * @example expect(takeWarnings().map((w) => w.code)).toEqual(['LARDER_UNKEYED_INPUT']);
 */
export function takeWarnings(): CapturedWarning[] {
  return warnings.splice(0);
}

/** Installs the collectors once per process (test files may share a worker). */
export function installQuietCapture(): void {
  const marker = Symbol.for('larder.test.quiet');
  const host = process as unknown as Record<symbol, boolean>;
  if (host[marker]) return;
  host[marker] = true;
  process.emitWarning = function collectWarning(warning: string | Error, ...rest: unknown[]): void {
    warnings.push(describeWarning(warning, rest));
  } as typeof process.emitWarning;
  // Warnings Node raises itself (MaxListenersExceededWarning…) do not go through process.emitWarning.
  process.on('warning', (warning) => noise.push(`${warning.name}: ${warning.message}`));
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (inTest) noise.push(`console.${method}: ${format(...args)}`);
      original(...args);
    };
  }
}

/** Marks the start of a test: console output before it (a loud skip while collecting) is not a test's noise. */
export function startTest(): void {
  inTest = true;
}

/** Ends a test; throws, failing it, when it left a warning untaken or printed anything. */
export function endTest(): void {
  inTest = false;
  assertQuiet('this test');
}

/** Throws when something was emitted outside any test (a hook, a late callback) and not taken. */
export function assertQuiet(where: string): void {
  const left = [...warnings.splice(0).map((w) => `${w.type}${w.code ? ` [${w.code}]` : ''}: ${w.message}`), ...noise.splice(0)];
  if (left.length > 0) {
    throw new Error(`${where} was not quiet (take an expected warning with takeWarnings() and assert it; tests do not print):\n- ${left.join('\n- ')}`);
  }
}

function describeWarning(warning: string | Error, rest: unknown[]): CapturedWarning {
  const [second, third] = rest;
  const options = typeof second === 'object' && second !== null ? (second as { type?: string; code?: string }) : undefined;
  const type = options?.type ?? (typeof second === 'string' ? second : warning instanceof Error ? warning.name : 'Warning');
  const code = options?.code ?? (typeof third === 'string' ? third : (warning as { code?: string }).code);
  return { type, code, message: typeof warning === 'string' ? warning : warning.message };
}
