/** Where a command writes: text for people, or one JSON document with `--json`. */
export interface Output {
  readonly json: boolean;
  text(text: string): void;
  data(value: unknown): void;
}

/** An {@link Output} over writable streams (process.stdout in the bin). */
export function output(json: boolean, write: (text: string) => void): Output {
  return {
    json,
    text: write,
    data: (value) => write(JSON.stringify(value, null, 2) + '\n'),
  };
}
