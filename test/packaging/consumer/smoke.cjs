// Run with node in the fresh project: each package through require() (Node >= 20.19), then a cached Koa route end to end.
const { once } = require('node:events');
const Koa = require('koa');

const names = ['@larder/core', '@larder/core/adapter', '@larder/express', '@larder/koa'];
const loaded = {};
for (const name of names) loaded[name] = Object.keys(require(name)).filter((key) => key !== '__esModule' && key !== 'module.exports').sort();

async function main() {
  const { cached, createLarder } = require('@larder/koa');
  const larder = createLarder();
  const app = new Koa();
  let runs = 0;
  app.use(cached('5m', { larder }));
  app.use((ctx) => {
    ctx.body = { runs: ++runs };
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const xCache = [];
  for (let i = 0; i < 2; i++) xCache.push((await fetch(`http://127.0.0.1:${server.address().port}/n`)).headers.get('x-cache'));
  server.close();
  await larder.close();
  console.log(JSON.stringify({ exports: loaded, xCache, runs }));
}
main();
