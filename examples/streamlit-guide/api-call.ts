/**
 * API calls (caching them also avoids rate limits):
 *
 *   @st.cache_data
 *   def api_call():
 *       response = requests.get('https://jsonplaceholder.typicode.com/posts/1')
 *       return response.json()
 *
 * No internet needed: `startPostsApi()` serves a tiny posts API on a local port, and counts the
 * requests it receives.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cacheData } from '@larder/core';
import { runIfMain, timed } from './run.js';

export const apiCall = cacheData(
  async function apiCall(url: string) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`); // errors are never cached
    return (await response.json()) as { userId: number; id: number; title: string; body: string };
  },
  { ttl: '1h' },
);

/** A local stand-in for jsonplaceholder.typicode.com: GET /posts/:id. */
export async function startPostsApi(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const id = Number(/^\/posts\/(\d+)$/.exec(req.url ?? '')?.[1]);
    if (!id) {
      res.writeHead(404).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ userId: 1, id, title: `post ${id}`, body: 'quia et suscipit suscipit recusandae' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const api = await startPostsApi();
  try {
    console.log(await timed('first call (HTTP request)', () => apiCall(`${api.url}/posts/1`)));
    await timed('second call (cached)', () => apiCall(`${api.url}/posts/1`));
    console.log(`the API received ${api.requests()} request(s)`);
  } finally {
    await api.close();
  }
}

await runIfMain(import.meta.url, main);
