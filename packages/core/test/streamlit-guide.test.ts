/**
 * The function-level examples of Streamlit's caching guide ("Caching overview": st.cache_data,
 * st.cache_resource, hash_funcs examples 1–4, excluding input parameters, mutation, ttl and
 * max_entries), ported to Larder. Python's `hash_funcs={MyCustomClass: ...}` is `hashFuncs`
 * keyed by the class or by its name; `_`-prefixed parameters work the same way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  UnhashableParamError,
  UnserializableReturnValueError,
  cacheData,
  cacheResource,
  createLarder,
  hashValue,
  type HashFunc,
  type Larder,
} from '../src/index.js';
import { manualClock } from '../../../test/support/async.js';

let clock: ReturnType<typeof manualClock>;
let larder: Larder;

beforeEach(() => {
  clock = manualClock(Date.UTC(2024, 4, 1, 9, 0, 0));
  larder = createLarder({ clock });
});

afterEach(async () => {
  await larder.close();
});

describe("Streamlit's caching guide, ported", () => {
  describe('st.cache_data basics: long_running_function(param1, param2)', () => {
    it('runs once per parameter values and serves repeats from the cache', async () => {
      let runs = 0;
      const longRunningFunction = cacheData(async function longRunningFunction(param1: string, param2: number) {
        runs++;
        return `${param1}:${param2}`;
      }, { larder });

      expect(await longRunningFunction('a', 1)).toBe('a:1');
      expect(await longRunningFunction('a', 1)).toBe('a:1');
      expect(await longRunningFunction('a', 2)).toBe('a:2');
      expect(runs).toBe(2);
    });
  });

  describe('load_data(url) and transform(df)', () => {
    const csv = 'col1,col2,col3\n1,2,3\n4,5,6';
    let downloads = 0;
    const fetchCsv = async (_url: string) => {
      downloads++;
      return csv;
    };

    it('caches a download and a transformation of its rows', async () => {
      downloads = 0;
      const loadData = cacheData(async function loadData(url: string) {
        const [header, ...lines] = (await fetchCsv(url)).split('\n');
        const names = header!.split(',');
        return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], Number(v)])));
      }, { larder });
      let transforms = 0;
      const transform = cacheData(function transform(df: Array<Record<string, number>>) {
        transforms++;
        return df.filter((row) => row.col1! > 1).map(({ col1, col2 }) => ({ col1, col2 }));
      }, { larder });

      const df = await loadData('https://example.com/data.csv');
      await loadData('https://example.com/data.csv');
      expect(downloads).toBe(1);
      expect(await transform(df)).toEqual([{ col1: 4, col2: 5 }]);
      expect(await transform(await loadData('https://example.com/data.csv'))).toEqual([{ col1: 4, col2: 5 }]);
      expect(transforms).toBe(1);
    });
  });

  describe('add(arr1, arr2) on arrays', () => {
    it('hashes typed arrays by content', async () => {
      let runs = 0;
      const add = cacheData(function add(arr1: Float64Array, arr2: Float64Array) {
        runs++;
        return arr1.map((v, i) => v + arr2[i]!);
      }, { larder });

      const sum = await add(new Float64Array([1, 2]), new Float64Array([3, 4]));
      expect(sum).toBeInstanceOf(Float64Array);
      expect([...sum]).toEqual([4, 6]);
      await add(new Float64Array([1, 2]), new Float64Array([3, 4]));
      expect(runs).toBe(1);
      await add(new Float64Array([1, 2]), new Float64Array([3, 5]));
      expect(runs).toBe(2);
    });
  });

  describe('st.cache_resource: load_model() and connect_to_database(url)', () => {
    it('shares one model object between all callers', async () => {
      let loads = 0;
      const loadModel = cacheResource(async function loadModel() {
        loads++;
        return { task: 'sentiment-analysis', predict: (text: string) => (text.includes('love') ? 'POSITIVE' : 'NEGATIVE') };
      }, { larder });

      const model = await loadModel();
      expect(model.predict('We love you')).toBe('POSITIVE');
      expect(await loadModel()).toBe(model);
      expect(loads).toBe(1);
    });

    it('shares one connection per url', async () => {
      let connects = 0;
      const connectToDatabase = cacheResource(async function connectToDatabase(url: string) {
        connects++;
        return { url, execute: (sql: string) => `${url}: ${sql}` };
      }, { larder });

      const a = await connectToDatabase('postgres://a');
      expect(await connectToDatabase('postgres://a')).toBe(a);
      expect(await connectToDatabase('postgres://b')).not.toBe(a);
      expect(connects).toBe(2);
    });

    it('refuses to store a model as data, and points to cacheResource', async () => {
      const loadModel = cacheData(function loadModel() {
        return { predict: (text: string) => text.length };
      }, { larder });

      const error = await loadModel().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnserializableReturnValueError);
      expect((error as Error).message).toContain('cacheResource');
    });
  });

  describe('Example 1: hashing a custom class (multiply_score)', () => {
    class MyCustomClass {
      constructor(readonly myScore: number) {}
    }
    const byClass = new Map<Function | string, HashFunc>([[MyCustomClass, (x: MyCustomClass) => x.myScore]]);
    const byName = { MyCustomClass: (x: MyCustomClass) => x.myScore };
    let runs = 0;
    const make = (hashFuncs?: typeof byClass | typeof byName) =>
      cacheData(function multiplyScore(obj: MyCustomClass, multiplier: number) {
        runs++;
        return obj.myScore * multiplier;
      }, { larder, hashFuncs });

    beforeEach(() => {
      runs = 0;
    });

    it('fails without hashFuncs with the UnhashableParamError Streamlit users know', async () => {
      const multiplyScore = make();

      const error = await multiplyScore(new MyCustomClass(10), 2).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnhashableParamError);
      const message = (error as Error).message;
      expect(message.startsWith("Cannot hash argument 'obj' (of type MyCustomClass) in 'multiplyScore'.")).toBe(true);
      expect(message).toContain('_obj');
      expect(message).toContain('hashFuncs');
      expect(message).toContain("Symbol.for('larder.hashKey')");
      expect(error).toMatchObject({
        code: 'ERR_LARDER_UNHASHABLE',
        argName: 'obj',
        typeName: 'MyCustomClass',
        functionName: 'multiplyScore',
      });
      expect(runs).toBe(0);
    });

    it('is fixed by hashFuncs keyed by the class', async () => {
      const multiplyScore = make(byClass);

      expect(await multiplyScore(new MyCustomClass(10), 2)).toBe(20);
      expect(await multiplyScore(new MyCustomClass(10), 2)).toBe(20);
      expect(runs).toBe(1);
      expect(await multiplyScore(new MyCustomClass(11), 2)).toBe(22);
      expect(runs).toBe(2);
    });

    it('is fixed by hashFuncs keyed by the class name, giving identical keys', async () => {
      const obj = new MyCustomClass(10);
      expect(hashValue(obj, { hashFuncs: byName })).toBe(hashValue(obj, { hashFuncs: byClass }));
      expect(hashValue(obj, { hashFuncs: [['MyCustomClass', byName.MyCustomClass]] })).toBe(hashValue(obj, { hashFuncs: byClass }));

      expect(await make(byClass)(obj, 3)).toBe(30);
      expect(await make(byName)(new MyCustomClass(10), 3)).toBe(30);
      expect(runs).toBe(1);
    });

    describe('as a method', () => {
      class Scored {
        constructor(readonly myScore: number) {}
        declare multiplyScore: (multiplier: number) => Promise<number>;
      }

      it("reports 'this' without hashFuncs", async () => {
        Scored.prototype.multiplyScore = cacheData(function multiplyScore(this: Scored, multiplier: number) {
          return this.myScore * multiplier;
        }, { larder });

        const error = await new Scored(10).multiplyScore(2).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnhashableParamError);
        expect((error as Error).message.startsWith("Cannot hash argument 'this' (of type Scored) in 'multiplyScore'.")).toBe(true);
      });

      it('caches per score with hashFuncs on the class', async () => {
        let methodRuns = 0;
        Scored.prototype.multiplyScore = cacheData(function multiplyScore(this: Scored, multiplier: number) {
          methodRuns++;
          return this.myScore * multiplier;
        }, { larder, hashFuncs: { Scored: (x: Scored) => x.myScore } });

        expect(await new Scored(10).multiplyScore(2)).toBe(20);
        expect(await new Scored(10).multiplyScore(2)).toBe(20);
        expect(await new Scored(5).multiplyScore(2)).toBe(10);
        expect(methodRuns).toBe(2);
      });
    });
  });

  describe('Example 2: hashing a Pydantic model (Person)', () => {
    class Person {
      constructor(readonly name: string) {}
      modelDump(): { name: string } {
        return { name: this.name };
      }
    }

    it('hashes by the field hashFuncs picks, and returns plain data', async () => {
      let runs = 0;
      const identity = cacheData(function identity(person: Person) {
        runs++;
        return person.modelDump();
      }, { larder, hashFuncs: new Map([[Person, (p: Person) => p.name]]) });

      expect(await identity(new Person('Lee'))).toEqual({ name: 'Lee' });
      expect(await identity(new Person('Lee'))).toEqual({ name: 'Lee' });
      expect(runs).toBe(1);
      await identity(new Person('Kim'));
      expect(runs).toBe(2);
    });

    it("hashes through a model's [Symbol.for('larder.hashKey')]() method, without hashFuncs", async () => {
      class Model extends Person {
        [Symbol.for('larder.hashKey')](): unknown {
          return this.modelDump();
        }
      }
      let runs = 0;
      const identity = cacheData(function identity(person: Model) {
        runs++;
        return person.modelDump();
      }, { larder });

      await identity(new Model('Lee'));
      await identity(new Model('Lee'));
      expect(runs).toBe(1);
      await identity(new Model('Kim'));
      expect(runs).toBe(2);
    });

    it('refuses to return the model instance itself (its class would be lost)', async () => {
      const identity = cacheData(function identity(person: Person) {
        return person;
      }, { larder, hashFuncs: { Person: (p: Person) => p.name } });

      await expect(identity(new Person('Lee'))).rejects.toBeInstanceOf(UnserializableReturnValueError);
    });
  });

  describe('Example 3: hashing an ML model from cache_resource', () => {
    class Module {
      constructor(readonly arch: string) {}
      forward(input: number[]): number[] {
        return input.map((x) => (this.arch === 'resnet18' ? x * 2 : x * 3));
      }
    }

    it('passes the resource to a data function with no hashFuncs: same model hits, another model misses', async () => {
      const loadBaseModel = cacheResource(function loadBaseModel(option: 1 | 2) {
        return new Module(option === 1 ? 'resnet18' : 'resnet50');
      }, { larder });
      let runs = 0;
      const predict = cacheData(function predict(input: number[], model: Module) {
        runs++;
        return model.forward(input);
      }, { larder });

      const model = await loadBaseModel(1);
      expect(await predict([1, 2], model)).toEqual([2, 4]);
      expect(await predict([1, 2], await loadBaseModel(1))).toEqual([2, 4]);
      expect(runs).toBe(1);
      expect(await predict([1, 2], await loadBaseModel(2))).toEqual([3, 6]);
      expect(runs).toBe(2);
    });

    it('needs hashFuncs (or _model) for a model that did not come from cacheResource', async () => {
      const predict = cacheData(function predict(input: number[], model: Module) {
        return model.forward(input);
      }, { larder });

      await expect(predict([1], new Module('resnet18'))).rejects.toMatchObject({ argName: 'model', typeName: 'Module' });
    });
  });

  describe("Example 4: overriding Larder's default hashing", () => {
    it('hashes Dates by day when hashFuncs says so: two times on the same day hit', async () => {
      let runs = 0;
      const loadData = cacheData(function loadData(day: Date) {
        runs++;
        return { day: day.toISOString().slice(0, 10) };
      }, { larder, hashFuncs: new Map([[Date, (d: Date) => d.toISOString().slice(0, 10)]]) });

      expect(await loadData(new Date('2024-05-01T08:00:00Z'))).toEqual({ day: '2024-05-01' });
      expect(await loadData(new Date('2024-05-01T17:30:00Z'))).toEqual({ day: '2024-05-01' });
      expect(runs).toBe(1);
      await loadData(new Date('2024-05-02T08:00:00Z'));
      expect(runs).toBe(2);
    });

    it('hashes Dates to the millisecond by default', async () => {
      let runs = 0;
      const loadData = cacheData(function loadData(day: Date) {
        runs++;
        return day.getTime();
      }, { larder });

      await loadData(new Date('2024-05-01T08:00:00Z'));
      await loadData(new Date('2024-05-01T17:30:00Z'));
      expect(runs).toBe(2);
    });

    it('hashes a Float64Array by its first element when hashFuncs says so', async () => {
      let runs = 0;
      const summarize = cacheData(function summarize(values: Float64Array) {
        runs++;
        return values[0];
      }, { larder, hashFuncs: { Float64Array: (a: Float64Array) => a[0] } });

      await summarize(new Float64Array([1, 2, 3]));
      await summarize(new Float64Array([1, 9, 9, 9]));
      expect(runs).toBe(1);
      await summarize(new Float64Array([2, 2, 3]));
      expect(runs).toBe(2);
    });

    it('hashes a Float64Array by its length when hashFuncs says so', async () => {
      let runs = 0;
      const shape = cacheData(function shape(values: Float64Array) {
        runs++;
        return values.length;
      }, { larder, hashFuncs: [[Float64Array, (a: Float64Array) => a.length]] });

      await shape(new Float64Array([1, 2, 3]));
      await shape(new Float64Array([4, 5, 6]));
      expect(runs).toBe(1);
      await shape(new Float64Array([4, 5]));
      expect(runs).toBe(2);
    });
  });

  describe('Excluding input parameters: fetch_data(_db_connection, num_rows)', () => {
    class Connection {
      constructor(readonly dsn: string) {}
      query(n: number): Array<{ id: number }> {
        return Array.from({ length: n }, (_, id) => ({ id }));
      }
    }

    it('leaves _dbConnection out of the key', async () => {
      let runs = 0;
      const fetchData = cacheData(async function fetchData(_dbConnection: Connection, numRows: number) {
        runs++;
        return _dbConnection.query(numRows);
      }, { larder });

      const connection = new Connection('postgres://primary');
      expect(await fetchData(connection, 10)).toHaveLength(10);
      expect(await fetchData(connection, 10)).toHaveLength(10);
      expect(await fetchData(new Connection('postgres://replica'), 10)).toHaveLength(10);
      expect(runs).toBe(1);
      expect(await fetchData(connection, 20)).toHaveLength(20);
      expect(runs).toBe(2);
    });
  });

  describe('Mutation and concurrency: create_list()', () => {
    it('shares a mutated resource list with later callers', async () => {
      const createList = cacheResource(function createList() {
        return [1, 2, 3];
      }, { larder });

      const list = await createList();
      list[0] = -100;
      expect(await createList()).toEqual([-100, 2, 3]);
      expect(await createList()).toBe(list);
    });

    it('isolates a data list: mutating it never changes later results', async () => {
      const createList = cacheData(function createList() {
        return [1, 2, 3];
      }, { larder });

      const list = await createList();
      list[0] = -100;
      expect(await createList()).toEqual([1, 2, 3]);
    });
  });

  describe('Controlling cache size and duration', () => {
    it('ttl=3600: get_api_data() runs again after an hour', async () => {
      let calls = 0;
      const getApiData = cacheData(async function getApiData() {
        calls++;
        return { calls };
      }, { larder, ttl: 3600 });

      expect(await getApiData()).toEqual({ calls: 1 });
      clock.advance(3599_000);
      expect(await getApiData()).toEqual({ calls: 1 });
      clock.advance(1_000);
      expect(await getApiData()).toEqual({ calls: 2 });
    });

    it('max_entries=1000: get_large_array(seed) keeps the 1000 most recently used seeds', async () => {
      const seen: number[] = [];
      const getLargeArray = cacheData(function getLargeArray(seed: number) {
        seen.push(seed);
        return new Float64Array(8).fill(seed);
      }, { larder, maxEntries: 1000 });

      for (let seed = 0; seed < 1000; seed++) await getLargeArray(seed);
      await getLargeArray(0); // hit: seed 0 is now the most recently used
      await getLargeArray(1000); // evicts seed 1
      expect(seen).toHaveLength(1001);

      await getLargeArray(0);
      await getLargeArray(999);
      expect(seen).toHaveLength(1001);
      await getLargeArray(1);
      expect(seen).toHaveLength(1002);
      expect(larder.stats().getLargeArray?.entries).toBe(1000);
    });
  });

  describe('Clearing: func.clear() and st.cache_data.clear()', () => {
    it('clears one function, or every data function', async () => {
      let runs = 0;
      const loadA = cacheData(function loadA() {
        runs++;
        return 'a';
      }, { larder });
      const loadB = cacheData(function loadB() {
        runs++;
        return 'b';
      }, { larder });

      await loadA();
      await loadB();
      await loadA.clear();
      await loadA();
      await loadB();
      expect(runs).toBe(3);
      await cacheData.clear(larder);
      await loadA();
      await loadB();
      expect(runs).toBe(5);
    });
  });

  describe('st.cache_resource(validate=...)', () => {
    it('recreates a connection that no longer validates', async () => {
      let connects = 0;
      const initConnection = cacheResource(function initConnection() {
        connects++;
        return { open: true };
      }, { larder, validate: (connection) => connection.open });

      const first = await initConnection();
      first.open = false;
      const second = await initConnection();
      expect(second).not.toBe(first);
      expect(second.open).toBe(true);
      expect(connects).toBe(2);
    });
  });
});
