/**
 * Deterministic JSON documents of an exact serialized size. Servers build them to answer requests and
 * the runner builds the same ones to check that every contender sends identical bytes.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The route bodies the scenarios use. */
export const SIZES = { '1kb': KiB, '100kb': 100 * KiB, '10mb': 10 * MiB } as const;
export type SizeName = keyof typeof SIZES;

export interface Document {
  id: number;
  items: Item[];
  pad: string;
}

interface Item {
  id: number;
  name: string;
  price: number;
  tags: string[];
  active: boolean;
}

function item(i: number): Item {
  return {
    id: i,
    name: `item-${String(i).padStart(6, '0')}`,
    price: Math.round(((i * 7919) % 100000) / 7) / 100,
    tags: ['bench', i % 2 === 0 ? 'even' : 'odd'],
    active: i % 3 !== 0,
  };
}

/**
 * A document whose `JSON.stringify` is exactly `bytes` long (ASCII only), a realistic list of records
 * topped up by a `pad` string. `id` distinguishes documents of the same size.
 */
export function makeDocument(bytes: number, id = 0): Document {
  const doc: Document = { id, items: [], pad: '' };
  let length = JSON.stringify(doc).length;
  if (length > bytes) throw new RangeError(`makeDocument: ${bytes} bytes is smaller than an empty document`);
  for (let i = 0; ; i += 1) {
    const next = item(i);
    const added = JSON.stringify(next).length + (i === 0 ? 0 : 1);
    if (length + added > bytes) break;
    doc.items.push(next);
    length += added;
  }
  doc.pad = 'x'.repeat(bytes - length);
  return doc;
}

/** The exact bytes a server sends for `makeDocument(bytes, id)`. */
export function documentBytes(bytes: number, id = 0): Buffer {
  const body = Buffer.from(JSON.stringify(makeDocument(bytes, id)));
  if (body.length !== bytes) throw new Error(`documentBytes: built ${body.length} bytes, wanted ${bytes}`);
  return body;
}
