import type { DigestWriter } from './digest-writer.js';

/**
 * Work items of the encoder's explicit stack: encode a value, write a key or a byte, leave an ancestor, start a
 * named argument; open and close the digest of one Map/Set entry, write a Map's or a Set's sorted entry digests;
 * close the result of a hashFuncs/hashKey rule (RULE_DONE: how deep rule results nest is bounded).
 * The encoder runs them; it and the built-in content encoders schedule them.
 */
export const Op = {
  VALUE: 0, KEY: 1, BYTE: 2, LEAVE: 3, ARGUMENT: 4, OPEN_DIGEST: 5, CLOSE_DIGEST: 6, MAP_DIGESTS: 7, SET_DIGESTS: 8,
  RULE_DONE: 9,
} as const;

/** What a built-in content encoder may do: write through the digest, and schedule children on the work stack. */
export interface ContentWriter extends DigestWriter {
  push(op: number, operand: unknown): void;
  /** Writes a primitive at once and returns true, or returns false for a value that must be scheduled. */
  leaf(value: unknown): boolean;
  /** Writes the entries of an object whose keys are known and sorted. */
  entries(keys: readonly string[], valueOf: (key: string) => unknown): void;
}
