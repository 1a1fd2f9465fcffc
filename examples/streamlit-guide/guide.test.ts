/**
 * Every program of the Streamlit caching guide port behaves as its comments say. The programs use
 * the default larder (as Streamlit's decorators use one global cache), so tests reset what they use.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BadOptionError, UnhashableParamError, UnserializableReturnValueError, defaultLarder, resources } from '@larder/core';
import type { CityDb } from '../shared/city-db.js';
import * as apiCall from './api-call.js';
import * as reference from './api-reference.js';
import * as arrays from './array-computation.js';
import * as clearing from './clear.js';
import * as concurrency from './concurrency.js';
import * as connection from './database-connection.js';
import * as dbQuery from './database-query.js';
import * as excluding from './excluding-params.js';
import * as byName from './hash-funcs-by-name.js';
import * as customClass from './hash-funcs-custom-class.js';
import * as dates from './hash-funcs-date.js';
import * as debugging from './debugging-a-miss.js';
import * as byId from './hash-funcs-id.js';
import * as ignoring from './ignore-a-type.js';
import * as persisting from './persist-to-disk.js';
import * as mlModel from './hash-funcs-ml-model.js';
import * as pydantic from './hash-funcs-pydantic.js';
import * as typedArray from './hash-funcs-typed-array.js';
import * as largeData from './large-data.js';
import * as loadCsv from './load-csv.js';
import * as minimal from './minimal.js';
import * as inference from './model-inference.js';
import * as modelLoading from './model-loading.js';
import * as mutation from './mutation.js';
import * as sizeAndDuration from './ttl-and-max-entries.js';
import * as transform from './transform.js';

afterAll(async () => {
  await Promise.all([defaultLarder().close(), dbQuery.larder.close(), sizeAndDuration.larder.close()]);
});

/** How many more times `counter[name]` ran during `fn`. */
async function runsDuring<K extends string>(counter: Record<K, number>, name: K, fn: () => Promise<unknown>): Promise<number> {
  const before = counter[name];
  await fn();
  return counter[name] - before;
}

describe("Streamlit's caching guide, as Larder programs", () => {
  it('minimal.ts: runs once per parameter values', async () => {
    const runs = await runsDuring(minimal.runs, 'longRunningFunction', async () => {
      expect(await minimal.longRunningFunction('ab', 3)).toBe('ab × 3 = ababab');
      expect(await minimal.longRunningFunction('ab', 3)).toBe('ab × 3 = ababab');
      expect(await minimal.longRunningFunction('ab', 2)).toBe('ab × 2 = abab');
    });
    expect(runs).toBe(2);
  });

  it('load-csv.ts: parses the CSV once, then hands out copies', async () => {
    const url = await loadCsv.ridesCsvUrl(2_000);
    await loadCsv.loadData.clear();
    let first: Awaited<ReturnType<typeof loadCsv.loadData>> | undefined;
    const runs = await runsDuring(loadCsv.runs, 'loadData', async () => {
      first = await loadCsv.loadData(url);
      first.fareUsd[0] = -1; // mutating a copy...
      const second = await loadCsv.loadData(url);
      expect(second.fareUsd[0]).toBeGreaterThan(0); // ...never changes what the next caller gets
      expect(second.fareUsd).toBeInstanceOf(Float32Array);
      expect(second.rows).toBe(2_000);
    });
    expect(runs).toBe(1);
  });

  it('transform.ts: an equal DataFrame hits, a changed cell misses', async () => {
    const df = transform.makeFrame(1_000);
    const runs = await runsDuring(transform.runs, 'transform', async () => {
      const result = await transform.transform(df);
      expect(Object.keys(result)).toEqual(['one', 'three']);
      expect(await transform.transform(transform.makeFrame(1_000))).toEqual(result);
      df.three![0]! += 1;
      expect((await transform.transform(df)).three!.sum).toBeCloseTo(result.three!.sum + 1, 5);
    });
    expect(runs).toBe(2);
  });

  it('array-computation.ts: typed arrays hash by content and type', async () => {
    const runs = await runsDuring(arrays.runs, 'add', async () => {
      expect([...(await arrays.add(new Float64Array([1, 2]), new Float64Array([3, 4])))]).toEqual([4, 6]);
      expect(await arrays.add(new Float64Array([1, 2]), new Float64Array([3, 4]))).toBeInstanceOf(Float64Array);
      await arrays.add(new Float32Array([1, 2]) as unknown as Float64Array, new Float64Array([3, 4]));
    });
    expect(runs).toBe(2);
  });

  it('database-query.ts: the query result is cached until its ttl of 600 s runs out', async () => {
    const conn = await dbQuery.initConnection();
    const [{ reviews }] = (await dbQuery.runQuery(dbQuery.REVIEW_COUNT)) as [{ reviews: number }];
    await conn.addReview(1, 4, 'Quick trip');
    dbQuery.clock.advance(599_000);
    expect(await dbQuery.runQuery(dbQuery.REVIEW_COUNT)).toEqual([{ reviews }]);
    dbQuery.clock.advance(1_000);
    expect(await dbQuery.runQuery(dbQuery.REVIEW_COUNT)).toEqual([{ reviews: reviews + 1 }]);
    expect(await dbQuery.initConnection()).toBe(conn);
  });

  it('api-call.ts: the local API is called once', async () => {
    const api = await apiCall.startPostsApi();
    try {
      const post = await apiCall.apiCall(`${api.url}/posts/1`);
      expect(post).toMatchObject({ id: 1, userId: 1 });
      expect(await apiCall.apiCall(`${api.url}/posts/1`)).toEqual(post);
      expect(api.requests()).toBe(1);
      await expect(apiCall.apiCall(`${api.url}/nothing`)).rejects.toThrow('404');
      await expect(apiCall.apiCall(`${api.url}/nothing`)).rejects.toThrow('404');
      expect(api.requests()).toBe(3); // a failure is not cached
    } finally {
      await api.close();
    }
  });

  it('model-loading.ts: one model for every caller; cacheData refuses it', async () => {
    const model = await modelLoading.loadModel();
    expect(model.predict('I love Larder! 🎈').label).toBe('positive');
    expect(await modelLoading.loadModel()).toBe(model);
    expect(modelLoading.loads.loadModel).toBe(1);
    const error = await modelLoading.loadModelAsData().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnserializableReturnValueError);
    expect((error as Error).message).toContain('cacheResource');
  });

  it('model-inference.ts: predictions are cached per input', async () => {
    const model = await modelLoading.loadModel();
    const before = model.predictions;
    const inputs = ['Smooth ride and a punctual pickup', 'Driver was rude and took a long detour'];
    const results = await inference.runModel(inputs);
    expect(results.map((r) => r.label)).toEqual(['positive', 'negative']);
    expect(await inference.runModel([...inputs])).toEqual(results);
    expect(model.predictions - before).toBe(2);
  });

  it('database-connection.ts: one connection, replaced when validate fails; the registry form shares one too', async () => {
    const conn = await connection.initConnection();
    expect(await connection.initConnection()).toBe(conn);
    await conn.close();
    const fresh = await connection.initConnection();
    expect(fresh).not.toBe(conn);
    expect(await fresh.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);

    connection.registerDatabase();
    const [a, b] = await Promise.all([resources.get<CityDb>('city-db'), resources.get<CityDb>('city-db')]);
    expect(a).toBe(b);
    expect(await resources.get<CityDb>('city-db')).toBe(a);
    expect(connection.opened.registry).toBe(1);
  });

  it('excluding-params.ts: _dbConnection is left out of the key; without the underscore it cannot be hashed', async () => {
    const { CityDb } = await import('../shared/city-db.js');
    const [primary, replica] = await Promise.all([CityDb.open(), CityDb.open()]);
    try {
      const runs = await runsDuring(excluding.runs, 'fetchData', async () => {
        expect(await excluding.fetchData(primary, 4)).toHaveLength(4);
        expect(await excluding.fetchData(replica, 4)).toHaveLength(4);
        expect(await excluding.fetchData(primary, 5)).toHaveLength(5);
      });
      expect(runs).toBe(2);
      await expect(excluding.fetchDataHashingTheConnection(primary, 1)).rejects.toMatchObject({ argName: 'dbConnection', typeName: 'CityDb' });
    } finally {
      await Promise.all([primary.close(), replica.close()]);
    }
  });

  it('hash-funcs-custom-class.ts: UnhashableParamError without hashFuncs, cached by score with them', async () => {
    const error = await customClass.multiplyScoreUnhashable(new customClass.MyCustomClass(15), 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnhashableParamError);
    expect((error as Error).message).toMatch(/^Cannot hash argument 'obj' \(of type MyCustomClass\) in 'multiplyScore'\./);

    const runs = await runsDuring(customClass.runs, 'multiplyScore', async () => {
      expect(await customClass.multiplyScore(new customClass.MyCustomClass(15), 2)).toBe(30);
      expect(await customClass.multiplyScore(new customClass.MyCustomClass(15), 2)).toBe(30);
      expect(await customClass.multiplyScore(new customClass.MyCustomClass(16), 2)).toBe(32);
    });
    expect(runs).toBe(2);
  });

  it('hash-funcs-by-name.ts: a cached method, `this` hashed by a rule keyed by class name', async () => {
    const runs = await runsDuring(byName.runs, 'multiplyScore', async () => {
      expect(await new byName.MyCustomClass(15).multiplyScore(2)).toBe(30);
      expect(await new byName.MyCustomClass(15).multiplyScore(2)).toBe(30);
      expect(await new byName.MyCustomClass(7).multiplyScore(2)).toBe(14);
    });
    expect(runs).toBe(2);
    expect(byName.sameKeyByNameAndByClass(new byName.MyCustomClass(3))).toBe(true);
  });

  it('hash-funcs-pydantic.ts: hashFuncs or the hashKey protocol; returning the instance is refused', async () => {
    const runs = await runsDuring(pydantic.runs, 'identity', async () => {
      expect(await pydantic.identity(new pydantic.Person('Kim'))).toEqual({ name: 'Kim' });
      expect(await pydantic.identity(new pydantic.Person('Kim'))).toEqual({ name: 'Kim' });
      expect(await pydantic.identityByProtocol(new pydantic.HashablePerson('Kim'))).toEqual({ name: 'Kim' });
      expect(await pydantic.identityByProtocol(new pydantic.HashablePerson('Kim'))).toEqual({ name: 'Kim' });
    });
    expect(runs).toBe(2);
    await expect(pydantic.identityReturningTheInstance(new pydantic.Person('Kim'))).rejects.toBeInstanceOf(UnserializableReturnValueError);
  });

  it('hash-funcs-ml-model.ts: a model from cacheResource hashes by identity, no hashFuncs needed', async () => {
    const runs = await runsDuring(mlModel.runs, 'loadLayers', async () => {
      expect(await mlModel.loadLayers(await mlModel.loadBaseModel(1))).toEqual(['conv1', 'conv2_block1', 'avg_pool']);
      expect(await mlModel.loadLayers(await mlModel.loadBaseModel(1))).toEqual(['conv1', 'conv2_block1', 'avg_pool']);
      expect(await mlModel.loadLayers(await mlModel.loadBaseModel(2))).toEqual(['Conv1', 'expanded_conv', 'out_relu']);
    });
    expect(runs).toBe(2);
    // The bug the guide warns about: with `_baseModel`, model 2 gets model 1's layers.
    await mlModel.loadLayersIgnoringTheModel(await mlModel.loadBaseModel(1));
    expect(await mlModel.loadLayersIgnoringTheModel(await mlModel.loadBaseModel(2))).toEqual(['conv1', 'conv2_block1', 'avg_pool']);
    await expect(mlModel.loadLayers(new mlModel.BaseModel('handmade', []))).rejects.toBeInstanceOf(UnhashableParamError);
  });

  it('hash-funcs-date.ts: Dates keyed by day with the rule, to the millisecond without', async () => {
    const withRule = await runsDuring(dates.runs, 'loadData', async () => {
      const morning = await dates.loadData(new Date('2023-01-10T08:00:00Z'));
      expect(await dates.loadData(new Date('2023-01-10T17:30:00Z'))).toEqual(morning);
      await dates.loadData(new Date('2023-01-11T08:00:00Z'));
    });
    expect(withRule).toBe(2);
    const withoutRule = await runsDuring(dates.runs, 'loadDataToTheMillisecond', async () => {
      await dates.loadDataToTheMillisecond(new Date('2023-01-10T08:00:00Z'));
      await dates.loadDataToTheMillisecond(new Date('2023-01-10T08:00:00.001Z'));
    });
    expect(withoutRule).toBe(2);
  });

  it('hash-funcs-typed-array.ts: content hashing by default; the cheap rule trades accuracy for speed', async () => {
    const data = Float64Array.from({ length: 1_000 }, (_, i) => i);
    const changed = data.slice();
    changed[500] = -1;
    const byContent = await runsDuring(typedArray.runs, 'showData', async () => {
      await typedArray.showData(data);
      await typedArray.showData(data.slice());
      await typedArray.showData(changed);
    });
    expect(byContent).toBe(2);
    const byEnds = await runsDuring(typedArray.runs, 'showDataByEnds', async () => {
      await typedArray.showDataByEnds(data);
      expect((await typedArray.showDataByEnds(changed))[500]).toBe(500); // a hit: the old data
    });
    expect(byEnds).toBe(1);
  });

  it('mutation.ts: a mutated resource breaks the next run; a data copy does not', async () => {
    expect(await mutation.rerun(mutation.loadData)).toEqual(['Lon', 'Base']);
    expect(await mutation.rerun(mutation.loadData)).toEqual(['Lon', 'Base']);
    await mutation.loadDataShared.clear();
    expect(await mutation.rerun(mutation.loadDataShared)).toEqual(['Lon', 'Base']);
    await expect(mutation.rerun(mutation.loadDataShared)).rejects.toThrow(`KeyError: "['Lat'] not found in axis"`);
  });

  it('concurrency.ts: users share the resource list, get copies of the data list; concurrent calls run once', async () => {
    await concurrency.createList.clear();
    await concurrency.createListCopy.clear();
    const shared: number[] = [];
    const copies: number[] = [];
    for (let user = 0; user < 3; user++) {
      shared.push(await concurrency.session(concurrency.createList));
      copies.push(await concurrency.session(concurrency.createListCopy));
    }
    expect(shared).toEqual([2, 3, 4]);
    expect(copies).toEqual([2, 2, 2]);

    await concurrency.createListCopy.clear();
    const runs = await runsDuring(concurrency.runs, 'createListCopy', () => Promise.all(Array.from({ length: 10 }, () => concurrency.createListCopy())));
    expect(runs).toBe(1);
  });

  it('ttl-and-max-entries.ts: expires after 3600 s; keeps the 1000 most recently used seeds', async () => {
    const { clock, getApiData, getLargeArray, larder, runs } = sizeAndDuration;
    const first = await getApiData();
    clock.advance(3_599_000);
    expect(await getApiData()).toEqual(first);
    clock.advance(1_000);
    expect(await getApiData()).not.toEqual(first);

    await getLargeArray.clear();
    const fill = await runsDuring(runs, 'getLargeArray', async () => {
      for (let seed = 0; seed <= 1000; seed++) await getLargeArray(seed);
    });
    expect(fill).toBe(1001);
    expect(await runsDuring(runs, 'getLargeArray', () => getLargeArray(1000))).toBe(0);
    expect(await runsDuring(runs, 'getLargeArray', () => getLargeArray(0))).toBe(1);
    expect(larder.stats().getLargeArray?.entries).toBe(1000);
  });

  it('clear.ts: clears one entry, one function, every data function, and releases resources', async () => {
    const { loadData, loadOther, initConnection, runs, released } = clearing;
    await Promise.all([loadData('a.csv'), loadData('b.csv'), loadOther()]);
    await loadData.clear('a.csv');
    expect(await runsDuring(runs, 'loadData', () => Promise.all([loadData('a.csv'), loadData('b.csv')]))).toBe(1);
    const { cacheData } = await import('@larder/core');
    await cacheData.clear();
    expect(await runsDuring(runs, 'loadOther', () => loadOther())).toBe(1);
    await initConnection('postgres://db');
    await initConnection.clear();
    expect(released).toContain('postgres://db');
  });

  it('clear.ts: "Clear All" clears square and cube, and cacheResource.clear() releases every resource', async () => {
    const { square, cube, loadModel, clearAll, runs, released } = clearing;
    await Promise.all([square(3), cube(3), loadModel('sentiment')]);
    const before = { square: runs.square, cube: runs.cube };
    await clearAll();
    await Promise.all([square(3), cube(3)]);
    expect([runs.square - before.square, runs.cube - before.cube]).toEqual([1, 1]);
    expect(released).toContain('model sentiment');
  });

  it('hash-funcs-id.ts: a rule unique per instance (like id) misses for equal instances; one by score hits', async () => {
    const before = { ...byId.runs };
    for (const score of [new byId.MyCustomClass(15), new byId.MyCustomClass(15)]) {
      expect(await score.multiplyScoreById(2)).toBe(30);
      expect(await score.multiplyScore(2)).toBe(30);
    }
    expect(byId.runs.byId - before.byId).toBe(2);
    expect(byId.runs.byScore - before.byScore).toBe(1);
    const same = new byId.MyCustomClass(15);
    await same.multiplyScoreById(3);
    await same.multiplyScoreById(3);
    expect(byId.runs.byId - before.byId).toBe(3); // the same instance does hit
  });

  it('debugging-a-miss.ts: the line inside the function appears only on a miss, and events give the reason', async () => {
    debugging.log.length = 0;
    await debugging.myCachedFunc.clear();
    const stop = debugging.watchMisses();
    try {
      expect(await debugging.call(2, 21)).toBe(42);
      expect(await debugging.call(2, 21)).toBe(42);
    } finally {
      stop();
    }
    expect(debugging.log).toEqual([
      'Calling myCachedFunc(2, 21)',
      'Cache miss: myCachedFunc(2, 21) ran',
      '  → miss (absent)',
      'Calling myCachedFunc(2, 21)',
      '  → hit',
    ]);
  });

  it('ignore-a-type.ts: UnhashableParamError, then a rule by label, then a constant rule that ignores the type', async () => {
    const error = await ignoring.unhashable(new ignoring.FooType('x'), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnhashableParamError);
    expect((error as Error).message).toMatch(/^Cannot hash argument 'a' \(of type FooType\) in 'myCachedFunc'\./);
    const before = { ...ignoring.runs };
    await ignoring.byLabel(new ignoring.FooType('x'), 1);
    await ignoring.byLabel(new ignoring.FooType('x'), 1);
    await ignoring.byLabel(new ignoring.FooType('y'), 1);
    expect(ignoring.runs.byLabel - before.byLabel).toBe(2);
    expect(await ignoring.ignoringFoo(new ignoring.FooType('x'), 1)).toBe(2);
    expect(await ignoring.ignoringFoo(new ignoring.FooType('y'), 1)).toBe(2);
    expect(ignoring.runs.ignored - before.ignored).toBe(1);
  });

  it("persist-to-disk.ts: persist='disk' is rejected with the Larder way, a SQLite store", () => {
    const error = persisting.persistOption();
    expect(error).toBeInstanceOf(BadOptionError);
    expect(error.message).toContain("'persist'");
    expect(error.message).toContain("store: 'sqlite://");
  });

  it('api-reference.ts: hash_funcs by type and by name give the same keys; sessions by URL, the sessionmaker left out', async () => {
    const before = reference.runs.convertToUtc;
    const dt = new Date('2024-05-01T10:00:00Z');
    expect(await reference.convertToUtc(dt)).toBe('2024-05-01T10:00:00.000+00:00');
    expect(await reference.convertToUtc(new Date(dt))).toBe('2024-05-01T10:00:00.000+00:00');
    expect(reference.runs.convertToUtc - before).toBe(1);
    expect(reference.sameKeyByTypeAndByName(dt)).toBe(true);
    const s1 = await reference.getDatabaseSession('postgres://ref');
    expect(await reference.getDatabaseSession('postgres://ref')).toBe(s1);
    expect(await reference.getDatabaseSession('postgres://ref-2')).not.toBe(s1);
    const t1 = await reference.getDatabaseSessionWith(reference.createSessionmaker(), 'postgres://ref');
    expect(await reference.getDatabaseSessionWith(reference.createSessionmaker(), 'postgres://ref')).toBe(t1);
    await reference.getDatabaseSession.clear();
    expect(s1.open).toBe(false);
    expect(reference.closed).toEqual(expect.arrayContaining(['postgres://ref', 'postgres://ref-2']));
  });

  it('large-data.ts: cacheData hands out copies, cacheResource the same object', async () => {
    const data = await largeData.bigAsData(1_000);
    const copy = await largeData.bigAsData(1_000);
    expect(copy).toEqual(data);
    expect(copy).not.toBe(data);
    expect(await largeData.bigAsResource(1_000)).toBe(await largeData.bigAsResource(1_000));
  });
});

/** What each program prints when run with `node --import tsx examples/streamlit-guide/<file>.ts`. */
const PROGRAMS: Record<string, string> = {
  'minimal.ts': 'longRunningFunction ran 2 times',
  'load-csv.ts': 'load_data ran 1 time(s)',
  'transform.ts': 'transform ran 2 times',
  'array-computation.ts': 'add ran 3 times for 4 calls',
  'database-query.ts': 'reviews, ten minutes later: [ { reviews: 1001 } ]',
  'api-call.ts': 'the API received 1 request(s)',
  'model-loading.ts': 'same object for the next caller: true (loaded 1 time)',
  'model-inference.ts': '3 calls, 2 predictions',
  'database-connection.ts': 'registry: one connection for concurrent first gets: true (opened 1 time)',
  'excluding-params.ts': 'fetchData ran 1 time for 3 calls',
  'hash-funcs-custom-class.ts': 'multiplyScore ran 2 times for 3 calls',
  'hash-funcs-by-name.ts': 'keyed by name or by class, same key: true',
  'hash-funcs-pydantic.ts': 'identity functions ran 2 times for 4 calls',
  'hash-funcs-ml-model.ts': 'loadLayers ran 2 times for 3 calls',
  'hash-funcs-date.ts': 'loadData ran 2 times for 3 calls',
  'hash-funcs-typed-array.ts': 'showData ran 1 time, showDataByEnds 1 time',
  'mutation.ts': `cacheResource, run 2: KeyError: "['Lat'] not found in axis"`,
  'concurrency.ts': '10 concurrent first calls ran createListCopy 1 time',
  'ttl-and-max-entries.ts': 'getLargeArray ran 1002 times; 1000 entries kept',
  'api-reference.ts': 'closed by onRelease: postgres://two, postgres://one',
  'clear.ts': 'after Clear All: square ran 2 times, cube 2 times; released model sentiment',
  'hash-funcs-id.ts': 'hashed by id: ran 2 times; hashed by score: ran 1 time, for 2 equal instances',
  'debugging-a-miss.ts': 'stats: 1 hit, 2 misses',
  'ignore-a-type.ts': 'by label: ran 2 times for 3 calls; ignoring FooType: ran 1 time for 2 calls',
  'large-data.ts': 'cacheResource, hit (the same object)',
};

describe('each program runs on its own', () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LARDER_STORE;

  it.concurrent.each(Object.entries(PROGRAMS))('node --import tsx examples/streamlit-guide/%s', async (file, expected) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, `examples/streamlit-guide/${file}`], { cwd: root, env, timeout: 60_000 });
    expect(stdout).toContain(expected);
  }, 60_000);

  it('node --import tsx examples/streamlit-guide/persist-to-disk.ts, twice: the second run reads what the first stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'larder-guide-persist-'));
    try {
      const run = () => promisify(execFile)(process.execPath, ['--import', tsx, 'examples/streamlit-guide/persist-to-disk.ts'], {
        cwd: root, env: { ...env, GUIDE_STORE: `sqlite://${join(dir, 'guide.sqlite')}` }, timeout: 60_000,
      });
      expect((await run()).stdout).toContain('fetchAndCleanData ran 1 time(s) in this process');
      expect((await run()).stdout).toContain('fetchAndCleanData ran 0 time(s) in this process');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
