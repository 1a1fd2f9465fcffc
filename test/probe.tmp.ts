import express from 'express';
import { cached, createLarder } from '@larder/express';
const mode = process.argv[2];
const size = Number(process.argv[3] ?? 1024);
const obj = { data: 'x'.repeat(size - 12) };
const body = JSON.stringify(obj);
const app = express();
if (mode === 'floor') app.get('/x', (req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
if (mode === 'framework') app.get('/x', (req, res) => { res.json(obj); });
if (mode === 'larder') { const larder = createLarder(); app.get('/x', cached('1h', { larder }), (req, res) => { res.json(obj); }); }
const server = app.listen(0, '127.0.0.1', () => console.log('PORT', (server.address() as any).port));
