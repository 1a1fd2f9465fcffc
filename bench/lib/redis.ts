import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuPlan } from './cpus.ts';
import { track } from './spawn.ts';

/** A throwaway redis-server on a free loopback port: no RDB snapshots, no AOF. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, the `createLarder({ store })` URL. */
  readonly url: string;
  /** FLUSHALL, so each group of contenders starts from an empty store. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Why Redis contenders cannot run on this machine, or undefined when redis-server is available. */
export function redisUnavailable(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return 'redis-server is not on PATH (install it, e.g. `apt-get install redis-server`)';
  if (probe.status !== 0) return `redis-server --version failed: ${probe.stderr.trim()}`;
  return undefined;
}

export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const { command: program, args } = cpuPlan().anyCpuCommand('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if ((await command(port, 'PING').catch(() => '')) === '+PONG') break;
    if (attempt > 100) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
    }
    await sleep(50);
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    async flush() {
      const reply = await command(port, 'FLUSHALL');
      if (reply !== '+OK') throw new Error(`redis FLUSHALL answered ${reply}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends one inline command and returns the first reply line (enough for PING and FLUSHALL). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`redis ${line} timed out`)));
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      socket.end();
      resolve(reply.slice(0, end));
    });
    socket.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
