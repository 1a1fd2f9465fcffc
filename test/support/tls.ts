import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate authority and a server certificate it signed, as PEM files in a directory of their own. */
export interface TlsFiles {
  /** The CA's certificate (what a client trusts). */
  ca: string;
  caPem: Buffer;
  /** The server's certificate (for 127.0.0.1 and localhost) and key. */
  cert: string;
  key: string;
  /** Deletes the files. */
  remove(): void;
}

/**
 * Makes a throwaway CA and a server certificate with `openssl`, valid for a day, for `127.0.0.1` and
 * `localhost`. Nothing is installed or trusted system-wide: a client trusts it only when given `ca`.
 */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'larder-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Larder test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-days', '1', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-extfile', file('server.ext'), '-out', file('server.pem'));
  return {
    ca: file('ca.pem'),
    caPem: readFileSync(file('ca.pem')),
    cert: file('server.pem'),
    key: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
