// The arguments and results of the function-cache scenario: deterministic, JSON-safe (so every peer,
// including the ones that copy through JSON, hands back a value equal to the original), and sized
// as the issue describes.

/** One hit case: what the cached function is called with and what it returns. */
export interface HitCase {
  id: HitCaseId;
  title: string;
  args(): unknown[];
  result(): unknown;
}

export type HitCaseId = 'small' | 'rows' | 'large';

const NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Donald', 'Margaret'];
const STATUSES = ['open', 'paid', 'shipped', 'returned'];

/** A 10-field record, about 200 bytes of JSON. */
function profile(id: number, locale: string): Record<string, unknown> {
  return {
    id,
    name: `${NAMES[id % NAMES.length]} ${id}`,
    email: `user${id}@example.com`,
    locale,
    age: 20 + (id % 50),
    active: id % 3 !== 0,
    score: Math.round(id * 7.31 * 100) / 100,
    city: 'Lisbon',
    createdAt: new Date(Date.UTC(2024, 4, 1 + (id % 28))).toISOString(),
    roles: ['reader', id % 2 === 0 ? 'editor' : 'viewer'],
  };
}

/** An order row, about 107 bytes of JSON. */
function row(i: number): Record<string, unknown> {
  return {
    id: i,
    sku: `SKU-${String(i).padStart(6, '0')}`,
    qty: 1 + (i % 9),
    price: Math.round((5 + ((i * 37) % 500) / 7) * 100) / 100,
    status: STATUSES[i % STATUSES.length],
    customer: `C-${String(i % 977).padStart(5, '0')}`,
    at: new Date(Date.UTC(2024, 0, 1 + (i % 365))).toISOString().slice(0, 10),
  };
}

function rows(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => row(i));
}

/** A query description of about 1 KB of JSON: the argument of case (b). */
function query(): Record<string, unknown> {
  return {
    table: 'orders',
    fields: ['id', 'sku', 'qty', 'price', 'status', 'at', 'customer.id', 'customer.name', 'customer.email', 'shipping.city'],
    filters: {
      status: { in: ['open', 'paid', 'shipped'] },
      at: { gte: '2024-01-01', lt: '2025-01-01' },
      price: { gte: 5, lte: 500 },
      region: { in: ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south'] },
      customer: { tier: { in: ['gold', 'silver'] }, country: { notIn: ['AQ', 'BV'] }, verified: true },
      tags: { all: ['gift', 'priority'], none: ['fraud-review', 'test-order'] },
    },
    sort: [{ field: 'at', dir: 'desc' }, { field: 'id', dir: 'asc' }],
    page: { number: 3, size: 100 },
    locale: 'en-US',
    timezone: 'Europe/Lisbon',
    currency: 'EUR',
    include: { customer: { fields: ['id', 'name', 'email'] }, shipping: { fields: ['city', 'country', 'carrier'] } },
    options: { explain: false, cacheHint: 'warm', consistency: 'eventual', trace: 'b3d1c0ffee', client: 'reports-ui/4.2.1' },
    requestedBy: { id: 'u-1042', team: 'finance', purpose: 'monthly revenue report, draft 3' },
  };
}

/** How many order rows make about 1 MB of JSON. */
const LARGE_ROWS = 9_200;

export const HIT_CASES: Record<HitCaseId, HitCase> = {
  small: {
    id: 'small',
    title: '(a) two small arguments → a 10-field object',
    args: () => [42, 'en-US'],
    result: () => profile(42, 'en-US'),
  },
  rows: {
    id: 'rows',
    title: '(b) a 1 KB object argument → 100 rows (~10 KB)',
    args: () => [query()],
    result: () => rows(100),
  },
  large: {
    id: 'large',
    title: '(c) two small arguments → a 1 MB result',
    args: () => ['orders', 2024],
    result: () => rows(LARGE_ROWS),
  },
};

/** Bytes of JSON of a value, for the tables. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Argument sizes of the key-cost table. */
export const KEY_SIZES = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000] as const;

/** A Float64Array of about `bytes` bytes. */
export function floatArgument(bytes: number): Float64Array {
  const floats = new Float64Array(Math.max(1, Math.round(bytes / Float64Array.BYTES_PER_ELEMENT)));
  for (let i = 0; i < floats.length; i += 1) floats[i] = i * 1.000001;
  return floats;
}

/**
 * A nested object whose JSON is about `bytes` long: a header object and a list of line items, each an
 * object holding two more objects (about 110 bytes of JSON each), as a parsed request body would be.
 */
export function nestedArgument(bytes: number): Record<string, unknown> {
  const items: unknown[] = [];
  const root = { id: 7, kind: 'order', meta: { v: 2 }, items };
  let size = jsonBytes(root);
  for (let i = 0; size < bytes; i += 1) {
    const item = { sku: `S${i}`, qty: i % 7, price: { amount: i * 3, currency: 'EUR' }, attrs: { color: 'red', size: 'M', gift: i % 2 === 0 } };
    items.push(item);
    size += jsonBytes(item) + 1;
  }
  return root;
}
