// Run with node in the fresh project: each package through import(), then a cached Express route end to end.
import express from 'express';
import fetchTwice from './fetch-twice.cjs';

const names = ['@larder/core', '@larder/core/adapter', '@larder/express', '@larder/koa'];
const exports = {};
for (const name of names) exports[name] = Object.keys(await import(name)).sort();

const { cached, createLarder } = await import('@larder/express');
const larder = createLarder();
const app = express();
let runs = 0;
app.get('/n', cached('5m', { larder }), (req, res) => res.json({ runs: ++runs }));
const xCache = await fetchTwice(app.listen(0, '127.0.0.1'), '/n');
await larder.close();
console.log(JSON.stringify({ exports, xCache, runs }));
