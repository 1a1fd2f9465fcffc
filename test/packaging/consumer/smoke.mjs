// Run with node in the fresh project: each package through import(), then a cached Express route end to end.
import { once } from 'node:events';
import express from 'express';

const names = ['@larder/core', '@larder/core/adapter', '@larder/express', '@larder/koa'];
const exports = {};
for (const name of names) exports[name] = Object.keys(await import(name)).sort();

const { cached, createLarder } = await import('@larder/express');
const larder = createLarder();
const app = express();
let runs = 0;
app.get('/n', cached('5m', { larder }), (req, res) => res.json({ runs: ++runs }));
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const xCache = [];
for (let i = 0; i < 2; i++) xCache.push((await fetch(`http://127.0.0.1:${server.address().port}/n`)).headers.get('x-cache'));
server.close();
await larder.close();
console.log(JSON.stringify({ exports, xCache, runs }));
