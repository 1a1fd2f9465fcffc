/** What `larder --help` and `larder <command> --help` print. */

const COMMON = `Options of every command:
  --store <url>        the app's store: sqlite://<path> or redis://host:port[/db]
                       (default: the LARDER_STORE environment variable)
  --namespace <name>   the app's namespace option, unless the URL has ?namespace= (default: larder)
  --json               one JSON document on stdout instead of text
  -h, --help           this help`;

const EXIT = 'Exit status: 0 done, 1 failed (the reason is the one line on stderr), 2 bad usage.';

/** The help of the CLI and of each command. */
export const HELP = {
  main: `Usage: larder <command> [options]

See what a Larder store holds and empty it, from outside the app (SQLite and Redis stores;
the memory store lives inside the app: mount larderInspector() there instead).

Commands:
  stats      entries and bytes per cached function and route, as stored
  inspect    stored entries: keys, ages, sizes, expiries
  clear      drop every entry, one function's or route's (--space), or one tag's (--tag)

Run 'larder <command> --help' for a command's options.

${COMMON}
  --version            the version of @larder/core

${EXIT}`,

  stats: `Usage: larder stats [--store <url>] [--json]

Entries and bytes per cached function and route, as stored, with how many versions of its code
wrote them. Reads sizes and one header per function or route, never whole values.

Example:
  larder stats --store sqlite://./.larder/cache.sqlite

${COMMON}

${EXIT}`,

  inspect: `Usage: larder inspect [--space NAME] [--limit N] [--store <url>] [--json]

Stored entries with their age, size, how long they stay fresh and when the store drops them.
Reads the first bytes of each value listed (its header), never whole values.

Options:
  --space NAME   only this function or route, as in 'larder stats': 'GET /users/:id', loadReport
  --limit N      at most N entries (default: 50)

Example:
  larder inspect --space 'GET /users/:id' --limit 10 --store redis://localhost:6379

${COMMON}

${EXIT}`,

  clear: `Usage: larder clear [--space NAME | --tag TAG] [--store <url>] [--json]

Like 'streamlit cache clear'. Without options, drops every entry of the namespace. With --space,
the entries of one function or route (every version of its code). With --tag, invalidates a tag
as larder.invalidate() does: its entries read as misses in every process sharing the store.

Options:
  --space NAME   a function or route, as in 'larder stats': 'GET /users/:id', loadReport
  --tag TAG      a tag given to cached({ tags }) or cacheData({ tags }): user:42

Example:
  larder clear --space loadReport --store sqlite://./.larder/cache.sqlite

${COMMON}

${EXIT}`,
} as const;

/** A command of the CLI. */
export type Command = Exclude<keyof typeof HELP, 'main'>;

/** The commands, in the order the help lists them. */
export const COMMANDS: readonly Command[] = ['stats', 'inspect', 'clear'];

/** The options each command accepts besides the common ones. */
export const COMMAND_OPTIONS: Record<Command, readonly string[]> = {
  stats: [],
  inspect: ['space', 'limit'],
  clear: ['space', 'tag'],
};
