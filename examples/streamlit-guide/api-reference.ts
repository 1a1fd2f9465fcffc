/**
 * The examples of the st.cache_data and st.cache_resource API reference that the other programs do
 * not already show (persist: persist-to-disk.ts; clear: clear.ts; `_db_connection`: excluding-params.ts).
 *
 *   @st.cache_data(hash_funcs={datetime.datetime: lambda dt: dt.isoformat()})      # by type
 *   @st.cache_data(hash_funcs={"datetime.datetime": lambda dt: dt.isoformat()})    # by name
 *   def convert_to_utc(dt: datetime.datetime):
 *       return dt.astimezone(datetime.timezone.utc)
 *
 *   @st.cache_resource
 *   def get_database_session(url): ...              # s1 is s2 for one URL; another URL runs again
 *
 *   @st.cache_resource
 *   def get_database_session(_sessionmaker, url): ...   # the sessionmaker is not hashed
 *
 *   @st.cache_resource(scope="session", on_release=lambda sess: sess.close())   # see the README:
 *                                                   # no sessions on a server; on_release is onRelease
 */
import { cacheData, cacheResource, hashValue } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { convertToUtc: 0, sessions: 0 };
export const closed: string[] = [];

const isoformat = (dt: Date): string => dt.toISOString();

/** hash_funcs keyed by the type. */
export const convertToUtc = cacheData(
  function convertToUtc(dt: Date) {
    runs.convertToUtc++;
    return dt.toISOString().replace('Z', '+00:00');
  },
  { hashFuncs: new Map([[Date, isoformat]]) },
);

/** Keyed by the type's name instead (`{ Date: isoformat }`), the rule gives the very same keys. */
export function sameKeyByTypeAndByName(dt: Date): boolean {
  return hashValue(dt, { hashFuncs: new Map([[Date, isoformat]]) }) === hashValue(dt, { hashFuncs: { Date: isoformat } });
}

/** A stand-in for a database session. */
export interface Session {
  url: string;
  open: boolean;
  close(): void;
}

export const getDatabaseSession = cacheResource(
  function getDatabaseSession(url: string): Session {
    runs.sessions++;
    return { url, open: true, close() { this.open = false; closed.push(url); } };
  },
  { onRelease: (session) => session.close() },
);

/** A factory that makes sessions; it changes on every call, and is left out of the key. */
export const createSessionmaker = () => (url: string): Session => ({ url, open: true, close() {} });

export const getDatabaseSessionWith = cacheResource(function getDatabaseSession(_sessionmaker: (url: string) => Session, url: string) {
  runs.sessions++;
  return _sessionmaker(url);
});

async function main(): Promise<void> {
  const dt = new Date('2024-05-01T10:00:00Z');
  await convertToUtc(dt);
  await convertToUtc(new Date(dt));
  console.log(`convertToUtc ran ${runs.convertToUtc} time for 2 equal instants; by type or by name, same key: ${sameKeyByTypeAndByName(dt)}`);

  const s1 = await getDatabaseSession('postgres://one');
  const s2 = await getDatabaseSession('postgres://one');
  const s3 = await getDatabaseSession('postgres://two');
  console.log(`s1 is s2: ${s1 === s2}; s3 is another session: ${s3 !== s1}`);
  const t1 = await getDatabaseSessionWith(createSessionmaker(), 'postgres://one');
  const t2 = await getDatabaseSessionWith(createSessionmaker(), 'postgres://one');
  console.log(`with a different _sessionmaker, the same session: ${t1 === t2}`);
  await getDatabaseSession.clear();
  console.log(`closed by onRelease: ${closed.join(', ')}`);
}

await runIfMain(import.meta.url, main);
