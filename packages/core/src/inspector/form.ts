import type { IncomingMessage } from 'node:http';

/** The largest form the inspector reads: a token or a tag and a name fit many times over. */
export const MAX_FORM_BYTES = 16 * 1024;

/** A form body over {@link MAX_FORM_BYTES}, or one that is not `application/x-www-form-urlencoded`. */
export class FormError extends Error {
  constructor(readonly status: 413 | 415, message: string) {
    super(message);
  }
}

/**
 * The fields of a POSTed form. A body parser that ran before the inspector has already consumed
 * the stream: its result (`req.body`, `ctx.request.body`) is used instead.
 */
export async function readForm(req: IncomingMessage, parsed: unknown): Promise<URLSearchParams> {
  if (parsed !== null && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    const fields = new URLSearchParams();
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields.append(name, value);
    return fields;
  }
  if (typeof parsed === 'string') return new URLSearchParams(parsed);
  if (Buffer.isBuffer(parsed)) return new URLSearchParams(parsed.toString('utf8'));
  // Consumed by something that left nothing behind: there is no form to read.
  if (req.readableEnded) return new URLSearchParams();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/x-www-form-urlencoded') {
    throw new FormError(415, `expected a form (application/x-www-form-urlencoded), got ${type}`);
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) throw new FormError(413, 'form too large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= MAX_FORM_BYTES) return;
      // Stop listening; Node discards (or, past its own bound, closes) the rest after the response.
      req.off('data', onData).off('end', onEnd);
      reject(new FormError(413, 'form too large'));
    };
    const onEnd = (): void => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    req.on('data', onData).on('end', onEnd).once('error', reject);
  });
}
