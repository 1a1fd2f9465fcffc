import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Empty when the body was discarded (see `httpGet`'s `keepBody`). */
  body: Buffer;
  bodyLength: number;
  /** From sending the request to the last body byte. */
  ms: number;
}

// Keep-alive, like autocannon: latency probes should not pay a TCP handshake per request.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/**
 * One GET over a keep-alive connection. `keepBody: false` only counts the body's bytes, so that timing a
 * 10 MiB response does not include the client's copying.
 */
export function httpGet(url: string, { keepBody = true }: { keepBody?: boolean } = {}): Promise<HttpResponse> {
  return send('GET', url, keepBody);
}

/** One POST without a body, over the same keep-alive connections. */
export function httpPost(url: string): Promise<HttpResponse> {
  return send('POST', url, true);
}

function send(method: string, url: string, keepBody: boolean): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { agent, method }, (res) => {
      const chunks: Buffer[] = [];
      let bodyLength = 0;
      res.on('data', (chunk: Buffer) => {
        bodyLength += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const ms = performance.now() - start;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bodyLength, ms });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await httpGet(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
  return JSON.parse(res.body.toString()) as T;
}

/** Handler executions per route, from the server's uncached `GET /__count`. */
export interface Counts {
  data: number;
  slow: number;
  big: number;
  item: number;
}

export async function getCounts(baseUrl: string): Promise<Counts> {
  const counts = await getJson<Partial<Counts>>(`${baseUrl}/__count`);
  return { data: counts.data ?? 0, slow: counts.slow ?? 0, big: counts.big ?? 0, item: counts.item ?? 0 };
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function assertOk(res: HttpResponse, what: string, expected?: Buffer): void {
  if (res.status !== 200) throw new Error(`${what}: status ${res.status}, expected 200`);
  if (expected && !res.body.equals(expected)) {
    throw new Error(`${what}: body differs from the expected ${expected.length} bytes (got ${res.body.length} bytes)`);
  }
}
