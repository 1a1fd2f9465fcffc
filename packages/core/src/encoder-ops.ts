/**
 * Work items of the encoder's explicit stack: encode a value, write a key or a byte, leave an ancestor, start a
 * named argument; open and close the digest of one Map/Set entry, write a Map's or a Set's sorted entry digests.
 * The encoder runs them; it and the built-in content encoders schedule them.
 */
export const Op = {
  VALUE: 0, KEY: 1, BYTE: 2, LEAVE: 3, ARGUMENT: 4, OPEN_DIGEST: 5, CLOSE_DIGEST: 6, MAP_DIGESTS: 7, SET_DIGESTS: 8,
} as const;
