import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { clearCommand } from './clear-command.js';
import { CliError, failure, usageError } from './errors.js';
import { inspectCommand } from './inspect-command.js';
import { openStore } from './open-store.js';
import { output, type Output } from './output.js';
import { statsCommand } from './stats-command.js';
import type { StoreReader } from './store-reader.js';
import { COMMAND_OPTIONS, COMMANDS, HELP, type Command } from './usage.js';

/** Where the CLI reads its environment and writes its output (the process's, in the bin). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
}

const OPTIONS = {
  store: { type: 'string' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  space: { type: 'string' },
  limit: { type: 'string' },
  tag: { type: 'string' },
} as const;

/**
 * Runs `larder <command> [options]` and resolves to the exit status: 0 done, 1 failed, 2 bad usage.
 * Never rejects; a failure is one line on stderr.
 * @example process.exitCode = await main(process.argv.slice(2), { env: process.env, stdout, stderr });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await run(argv, io);
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`larder: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`larder: ${oneLine(error)}\n`);
    return 1;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains at length how to pass a positional that starts with '-': the first sentence is the reason.
    throw usageError(`${(error as Error).message.split(/\.\s|\n/)[0]} (see larder --help)`);
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (values.version) return io.stdout(`${version()}\n`);
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? extra[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) throw usageError(`unknown command '${topic}' (commands: ${COMMANDS.join(', ')})`);
    if (name === undefined && !values.help) {
      io.stderr(`${HELP.main}\n\n`);
      throw usageError('no command given (commands: stats, inspect, clear)');
    }
    return io.stdout(`${HELP[topic ?? 'main']}\n`);
  }
  if (!isCommand(name)) throw usageError(`unknown command '${name}' (commands: ${COMMANDS.join(', ')})`);
  if (values.help) return io.stdout(`${HELP[name]}\n`);
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}' (see larder ${name} --help)`);
  for (const option of ['space', 'limit', 'tag'] as const) {
    if (values[option] !== undefined && !COMMAND_OPTIONS[name].includes(option)) {
      throw usageError(`'${name}' has no --${option} option (see larder ${name} --help)`);
    }
  }
  if (values.space !== undefined && values.tag !== undefined) throw usageError('give --space or --tag, not both');
  if (values.space === '' || values.tag === '') throw usageError(`--${values.space === '' ? 'space' : 'tag'} needs a value`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw usageError(`--limit must be a positive whole number, got ${values.limit}`);
  if (values.namespace === '') throw usageError('--namespace needs a value');

  const out = output(values.json === true, io.stdout);
  const reader = await openStore(values.store ?? io.env.LARDER_STORE, values.namespace);
  try {
    await dispatch(name, reader, { space: values.space, tag: values.tag, limit }, out);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw failure(`${reader.location}: ${oneLine(error)}`);
  } finally {
    await reader.close();
  }
}

function dispatch(name: Command, reader: StoreReader, options: { space?: string; tag?: string; limit: number }, out: Output): Promise<void> {
  switch (name) {
    case 'stats':
      return statsCommand(reader, out);
    case 'inspect':
      return inspectCommand(reader, options, out);
    case 'clear':
      return clearCommand(reader, options, out);
  }
}

function isCommand(name: string): name is Command {
  return (COMMANDS as readonly string[]).includes(name);
}

function version(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
