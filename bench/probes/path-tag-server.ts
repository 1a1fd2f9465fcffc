// The server of the HTTP part of probes/write-invalidation.ts: one Express 5 app, one larder, two cached
// routes that differ only in whether the hit reads its path's tag: `/without/:id` is cached with
// `invalidateOnWrite: false` (no path tag: a hit as it was before invalidation on writes).
import express, { type Request, type Response } from 'express';
import { cached, createLarder } from '@larder/express';
import { documentBytes } from '../servers/shared/payload.ts';
import { serve } from '../servers/shared/serve.ts';

const store = process.argv[2] ?? 'memory://';
const larder = createLarder({ store, storeTimeout: '2s' });
const body = documentBytes(1024);
const app = express();
const handler = (_req: Request, res: Response) => void res.type('application/json').send(body);
app.get('/with/:id', cached({ ttl: '1h', larder }), handler);
app.get('/without/:id', cached({ ttl: '1h', larder, invalidateOnWrite: false }), handler);
serve(app, () => larder.close());
