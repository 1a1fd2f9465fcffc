// Memory probe: Express 5 + Larder's memory store, run with --expose-gc. Every `/item?n=<i>` is a
// distinct key answering a distinct 1 KiB JSON document; `/__memory` collects garbage and reports
// process memory, so the runner can measure RSS growth per stored byte.
import express from 'express';
import { cached, createLarder } from '@larder/express';
import { parseServerArgs } from './shared/args.ts';
import { KiB, makeDocument } from './shared/payload.ts';
import { serve } from './shared/serve.ts';

/** Stands in for "unbounded": far above what 100,000 entries of 1 KiB need. */
const UNBOUNDED_BYTES = 1024 * 1024 * KiB;

const args = parseServerArgs();
const app = express();
const larder = createLarder({ store: 'memory://', maxBytes: args.maxBytes || UNBOUNDED_BYTES });
const counts = { item: 0 };

app.get('/item', cached({ ttl: '1h', larder }), function item(req, res) {
  counts.item += 1;
  res.json(makeDocument(KiB, Number(req.query['n'] ?? 0)));
});
app.get('/__count', (_req, res) => {
  res.json(counts);
});
app.get('/__memory', async (_req, res) => {
  if (!globalThis.gc) throw new Error('memory-larder.ts must run with node --expose-gc');
  // Several passes with a pause: Keyv/Larder may hold short-lived promises and weak references.
  for (let i = 0; i < 4; i += 1) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  res.json({ ...process.memoryUsage(), maxRss: process.resourceUsage().maxRSS * 1024 });
});

serve(app, () => larder.close());
