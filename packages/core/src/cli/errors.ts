/** A CLI failure with its exit code: 2 for bad usage, 1 when the work itself failed. */
export class CliError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad usage: unknown command or option, missing store, a store that cannot be read from outside. Exit 2. */
export const usageError = (message: string): CliError => new CliError(2, message);

/** The command could not do its work (store unreachable, nothing by that name). Exit 1. */
export const failure = (message: string): CliError => new CliError(1, message);
