// What mounting larderInspector() costs a cached route, in instructions per hit: deterministic where
// throughput is not (a busy shared machine). Runs a server under valgrind's callgrind, warms it, zeroes
// the counters, sends N memory hits on one keep-alive connection and reads the total back.
//
//   npm run build && node bench/probes/inspector-instructions.mjs [express|koa] [without|with] [N=2000]
//
// Needs valgrind (callgrind_control); about two minutes per run.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [framework = 'express', variant = 'without', count = '2000', serve] = process.argv.slice(2);
const TOKEN = 'bench-inspector-token';
const body = { data: 'x'.repeat(1000) };

if (serve === '--serve') {
  if (framework === 'koa') {
    const [{ default: Koa }, { default: Router }, { default: mount }, { cached, createLarder, larderInspector }] = await Promise.all([
      import('koa'), import('@koa/router'), import('koa-mount'), import('@larder/koa'),
    ]);
    const larder = createLarder();
    const app = new Koa();
    const router = new Router();
    if (variant === 'with') app.use(mount('/_larder', larderInspector({ token: TOKEN, larder })));
    router.get('/data', cached({ ttl: '1h', larder }), (ctx) => { ctx.body = body; });
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
  } else {
    const [{ default: express }, { cached, createLarder, larderInspector }] = await Promise.all([import('express'), import('@larder/express')]);
    const larder = createLarder();
    const app = express();
    if (variant === 'with') app.use('/_larder', larderInspector({ token: TOKEN, larder }));
    app.get('/data', cached({ ttl: '1h', larder }), (_req, res) => res.json(body));
    const server = app.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
  }
} else {
  const dir = mkdtempSync(join(tmpdir(), 'larder-callgrind-'));
  const self = fileURLToPath(import.meta.url);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${dir}/out`, process.execPath, self, framework, variant, count, '--serve'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
      child.stdout.on('data', (chunk) => {
        const ready = /READY (\d+)/.exec(String(chunk));
        if (ready) resolve(Number(ready[1]));
      });
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const hit = () =>
      new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/data', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers['x-cache']));
        }).on('error', reject);
      });
    for (let i = 0; i < 500; i++) await hit();
    execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
    const seen = new Set();
    for (let i = 0; i < Number(count); i++) seen.add(await hit());
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
    if (seen.size !== 1 || !seen.has('HIT')) throw new Error(`expected only hits, got ${[...seen].join(', ')}`);
    const dump = readdirSync(dir).filter((file) => file.startsWith('out')).sort().at(-1);
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'))[1]);
    console.log(JSON.stringify({ framework, variant, hits: Number(count), instructionsPerHit: Math.round(total / Number(count)) }));
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
