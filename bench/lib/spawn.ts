import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpuPlan } from './cpus.ts';
import { ROOT, RUNTIME_TSCONFIG } from './paths.ts';

/** A program the runner starts with `node [nodeFlags] --import tsx <file> [args]`, cwd = repo root. */
export interface ProcessSpec {
  /** Short label for logs and errors, e.g. `hit/express5/1kb/floor`. */
  label: string;
  /** Path from the repository root, e.g. `bench/servers/express-baseline.ts`. */
  file: string;
  args: readonly string[];
  nodeFlags?: readonly string[];
}

export interface ServerProcess {
  readonly label: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Throws, with the server's last stderr lines, if the process has died. */
  assertAlive(): void;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
const STDERR_LINES = 40;

// A crash of the runner must not leave servers holding ports and CPU on a shared machine.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Registers a child started elsewhere (redis-server) for the same clean-up as the servers. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function launch(spec: ProcessSpec): { child: ChildProcess; stderr: string[] } {
  const { command, args } = cpuPlan().serverCommand(process.execPath, [...(spec.nodeFlags ?? []), '--import', 'tsx', spec.file, ...spec.args]);
  const child = spawn(command, args, {
    cwd: ROOT,
    // production: what servers run with; apicache also skips its debug headers then.
    env: { ...process.env, NODE_ENV: 'production', TSX_TSCONFIG_PATH: RUNTIME_TSCONFIG },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const stderr: string[] = [];
  // Always drain stderr (a full pipe would block the server); keep the tail for error messages.
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES) stderr.shift();
    if (/warning|error/i.test(line)) process.stderr.write(`  [${spec.label}] ${line}\n`);
  });
  return { child, stderr };
}

function describeExit(spec: ProcessSpec, code: number | null, signal: string | null, stderr: string[]): Error {
  const tail = stderr.length > 0 ? `\n${stderr.map((l) => `    ${l}`).join('\n')}` : ' (no stderr output)';
  return new Error(`${spec.label}: ${spec.file} exited (code ${code}, signal ${signal}) before finishing${tail}`);
}

/** Starts a server and resolves once it prints `READY <port>`. */
export function startServer(spec: ProcessSpec, timeoutMs = 30_000): Promise<ServerProcess> {
  const { child, stderr } = launch(spec);
  let exited: Error | undefined;

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.label}: no READY line from ${spec.file} within ${timeoutMs} ms`));
    }, timeoutMs);

    child.once('exit', (code, signal) => {
      exited = describeExit(spec, code, signal, stderr);
      clearTimeout(timer);
      reject(exited);
    });

    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        label: spec.label,
        pid: child.pid!,
        url: `http://127.0.0.1:${match[1]}`,
        assertAlive() {
          if (exited) throw exited;
        },
        stop: () => stopChild(child),
      });
    });
  });
}

/** Runs a probe to completion and returns the JSON it printed on its `RESULT <json>` line. */
export function runProbe(spec: ProcessSpec): Promise<unknown> {
  const { child, stderr } = launch(spec);
  let result: unknown;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length));
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(describeExit(spec, code, signal, stderr));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every process this runner started and is still running (on SIGINT). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map(stopChild));
}
