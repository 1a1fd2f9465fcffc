import { bytesText, count } from '../inspector/units.js';
import { spaceTags } from '../store/tags.js';
import { failure } from './errors.js';
import type { Output } from './output.js';
import { matches, SpaceNames } from './space-names.js';
import type { StoreReader } from './store-reader.js';

/**
 * `larder clear [--space NAME | --tag TAG]`, like `streamlit cache clear`:
 * - nothing: every key of the namespace (entries and tag versions), as `larder.clear()`;
 * - `--space`: the entries of one function or route (every code version), deleted, and its space
 *   tag moved on so that a write racing the delete is not read either (as `fn.clear()`);
 * - `--tag`: the tag moved on, as `larder.invalidate(tag)`: its entries read as misses everywhere.
 */
export async function clearCommand(reader: StoreReader, options: { space?: string; tag?: string }, out: Output): Promise<void> {
  if (options.tag !== undefined) {
    await reader.invalidate(options.tag);
    if (out.json) return out.data({ store: reader.location, namespace: reader.namespace, invalidated: options.tag });
    return out.text(`Invalidated tag ${options.tag} in ${reader.location}: entries written with it are misses from now on, in every process.\n`);
  }
  const names = new SpaceNames();
  const spaceIds = new Set<string>();
  let entries = 0;
  let bytes = 0;
  // Deleted batch by batch as they are listed: nothing accumulates, and SCAN and keyset pages
  // both carry on correctly past deleted keys.
  for await (const batch of reader.entries()) {
    if (options.space !== undefined) await names.learn(reader, batch);
    const chosen = options.space === undefined ? batch : batch.filter((entry) => matches(options.space!, entry.spaceId, names.of(entry.spaceId)));
    for (const entry of chosen) {
      spaceIds.add(entry.spaceId);
      bytes += entry.bytes;
    }
    entries += chosen.length;
    if (options.space !== undefined && chosen.length > 0) await reader.delete(chosen.map((entry) => entry.key));
  }
  if (options.space === undefined) {
    await reader.clear();
  } else {
    if (entries === 0) throw failure(`no entries of a space named ${JSON.stringify(options.space)} in ${reader.location} (see \`larder stats\`)`);
    await Promise.all([...spaceIds].map((id) => reader.invalidate(spaceTags(id, names.of(id).kind)[1]!)));
  }
  if (out.json) return out.data({ store: reader.location, namespace: reader.namespace, cleared: options.space ?? null, entries, bytes });
  const what = options.space === undefined ? 'and every tag version' : `of ${options.space}`;
  out.text(`Cleared ${count(entries)} entries (${bytesText(bytes)}) ${what} in ${reader.location}.\n`);
}
