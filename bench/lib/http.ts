import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** From sending the request to the last body byte. */
  ms: number;
}

// Keep-alive, like autocannon: latency probes should not pay a TCP handshake per request.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - start }),
      );
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`GET ${url} timed out`)));
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
