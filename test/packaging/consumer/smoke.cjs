// Run with node in the fresh project: each package through require() (Node >= 20.19), then a cached Koa route end to end.
const Koa = require('koa');
const fetchTwice = require('./fetch-twice.cjs');

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
  const xCache = await fetchTwice(app.listen(0, '127.0.0.1'), '/n');
  await larder.close();
  console.log(JSON.stringify({ exports: loaded, xCache, runs }));
}
main();
