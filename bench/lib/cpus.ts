import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where the processes of a run execute. On Linux with two or more CPUs and `taskset` (util-linux),
 * every server is started on CPU 0 and the runner, which is also the load generator (autocannon runs
 * in-process), moves itself to CPU 1. Without it the scheduler moves both between the cores of a
 * shared machine, and server and load generator take turns on the same core: on the 2-core machine
 * this bench was written on, that made runs of one contender differ by 20–100 %.
 */
export interface CpuPlan {
  /** Describes the plan for RESULTS.md. */
  readonly description: string;
  /** The command and arguments that start `command` on the server CPU. */
  serverCommand(command: string, args: readonly string[]): { command: string; args: string[] };
  /** The same for helpers that are neither (redis-server): any CPU, as without pinning. */
  anyCpuCommand(command: string, args: readonly string[]): { command: string; args: string[] };
}

const SERVER_CPU = 0;
const LOAD_CPU = 1;

/** Pins the runner to the load CPU and returns the plan; `pin: false` (--no-pin) leaves scheduling alone. */
export function planCpus(pin: boolean): CpuPlan {
  const unpinned = (why: string): CpuPlan => ({
    description: `not pinned (${why})`,
    serverCommand: (command, args) => ({ command, args: [...args] }),
    anyCpuCommand: (command, args) => ({ command, args: [...args] }),
  });
  current = choose();
  return current;

  function choose(): CpuPlan {
    if (!pin) return unpinned('--no-pin');
    if (process.platform !== 'linux') return unpinned('taskset is Linux-only');
    const cpus = availableParallelism();
    if (cpus < 2) return unpinned('one CPU');
    const self = spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { encoding: 'utf8' });
    if (self.error || self.status !== 0) return unpinned(`taskset unavailable: ${self.error?.message ?? self.stderr.trim()}`);
    return {
      description: `servers on CPU ${SERVER_CPU}, the load generator (autocannon, in the runner) on CPU ${LOAD_CPU}, via taskset; redis-server on any CPU`,
      serverCommand: (command, args) => ({ command: 'taskset', args: ['-c', String(SERVER_CPU), command, ...args] }),
      anyCpuCommand: (command, args) => ({ command: 'taskset', args: ['-c', `0-${cpus - 1}`, command, ...args] }),
    };
  }
}

let current: CpuPlan | undefined;

/** The plan of this run (unpinned until `planCpus` ran). */
export function cpuPlan(): CpuPlan {
  return current ?? planCpus(false);
}
