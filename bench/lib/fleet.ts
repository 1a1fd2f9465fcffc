import type { ProcessSpec, ServerProcess } from './spawn.ts';
import type { RunContext } from './types.ts';

export interface Member<T> {
  item: T;
  server: ServerProcess;
  /** Set when the member failed; it takes no further part and its samples are discarded. */
  failure?: string;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts one server process per item, in parallel. An item whose spec cannot be built or whose
 * server fails to start is reported in `problems` and left out; the others carry on.
 */
export async function startFleet<T extends { id: string }>(
  ctx: RunContext,
  items: readonly T[],
  spec: (item: T) => ProcessSpec,
  problems: string[],
): Promise<Member<T>[]> {
  const started = await Promise.all(
    items.map(async (item): Promise<Member<T> | undefined> => {
      try {
        return { item, server: await ctx.startServer(spec(item)) };
      } catch (error) {
        problems.push(`${item.id}: ${message(error)}`);
        return undefined;
      }
    }),
  );
  return started.filter((m): m is Member<T> => m !== undefined);
}

/** Runs `fn` for a member; on error records the failure (once) and returns undefined. */
export async function attempt<T extends { id: string }, R>(
  member: Member<T>,
  problems: string[],
  fn: () => Promise<R>,
): Promise<R | undefined> {
  if (member.failure) return undefined;
  try {
    member.server.assertAlive();
    return await fn();
  } catch (error) {
    member.failure = message(error);
    problems.push(`${member.item.id}: ${member.failure}`);
    return undefined;
  }
}

export async function stopFleet(members: readonly Member<unknown>[]): Promise<void> {
  await Promise.all(members.map((m) => m.server.stop()));
}

/** Live members only, in a stable order. */
export function healthy<T>(members: readonly Member<T>[]): Member<T>[] {
  return members.filter((m) => !m.failure);
}
