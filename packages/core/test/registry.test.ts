import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadDurationError,
  ResourceError,
  cacheData,
  createLarder,
  defaultLarder,
  resources,
  type Larder,
} from '../src/index.js';
import { ResourceRegistry } from '../src/functions/registry.js';
import { deferred, manualClock } from '../../../test/support/async.js';

class Client {
  static created = 0;
  readonly serial = ++Client.created;
  ends = 0;

  constructor(readonly name: string) {}

  end(): void {
    this.ends++;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

let clock: ReturnType<typeof manualClock>;
let larder: Larder;

beforeEach(() => {
  clock = manualClock();
  larder = createLarder({ clock });
});

afterEach(async () => {
  await larder.close();
});

describe('larder.resources', () => {
  it('is a ResourceRegistry', () => {
    expect(larder.resources).toBeInstanceOf(ResourceRegistry);
  });

  describe('register()', () => {
    it('declares a resource without creating it', async () => {
      let created = 0;
      const registry = larder.resources.register('db', () => {
        created++;
        return new Client('db');
      });

      expect(registry).toBe(larder.resources);
      expect(larder.resources.has('db')).toBe(true);
      expect(larder.resources.has('cache')).toBe(false);
      expect(larder.resources.names()).toEqual(['db']);
      expect(created).toBe(0);
    });

    it('throws ResourceError for a duplicate name', () => {
      larder.resources.register('db', () => new Client('db'));

      let error: unknown;
      try {
        larder.resources.register('db', () => new Client('other'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ResourceError);
      expect((error as ResourceError).code).toBe('ERR_LARDER_RESOURCE');
      expect((error as Error).message).toContain("'db'");
    });

    it('rejects invalid options when they are given', () => {
      expect(() => larder.resources.register('a', () => 1, { ttl: 0 })).toThrow(BadDurationError);
      expect(() => larder.resources.register('b', () => 1, { dispose: 'end' as never })).toThrow(/dispose/);
      expect(() => larder.resources.register('', () => 1)).toThrow(/name/);
      expect(() => larder.resources.register('c', 'factory' as never)).toThrow(/factory/);
      expect(larder.resources.names()).toEqual([]);
    });
  });

  describe('get()', () => {
    it('creates the value on first use and shares it afterwards', async () => {
      let created = 0;
      larder.resources.register('db', async () => {
        created++;
        return new Client('db');
      });

      const first = await larder.resources.get<Client>('db');
      const second = await larder.resources.get<Client>('db');
      expect(first).toBeInstanceOf(Client);
      expect(second).toBe(first);
      expect(created).toBe(1);
    });

    it('creates one instance for 100 concurrent first gets', async () => {
      const release = deferred();
      const started = deferred();
      let created = 0;
      larder.resources.register('model', async () => {
        created++;
        started.resolve();
        await release.promise;
        return new Client('model');
      });

      const gets = Array.from({ length: 100 }, () => larder.resources.get('model'));
      await started.promise;
      release.resolve();
      const values = await Promise.all(gets);

      expect(created).toBe(1);
      expect(new Set(values).size).toBe(1);
    });

    it('does not keep a failed creation: every waiter rejects and the next get tries again', async () => {
      let attempts = 0;
      larder.resources.register('flaky', async () => {
        attempts++;
        if (attempts === 1) throw new Error('connection refused');
        return new Client('flaky');
      });

      const failures = await Promise.allSettled([larder.resources.get('flaky'), larder.resources.get('flaky')]);
      expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
      expect(await larder.resources.get('flaky')).toBeInstanceOf(Client);
      expect(attempts).toBe(2);
    });

    it('throws ResourceError naming the known resources for an unknown name', async () => {
      larder.resources.register('db', () => new Client('db'));
      larder.resources.register('redis', () => new Client('redis'));

      const error = await rejection(larder.resources.get('dbb'));
      expect(error).toBeInstanceOf(ResourceError);
      expect((error as Error).message).toContain("'dbb'");
      expect((error as Error).message).toContain("'db'");
      expect((error as Error).message).toContain("'redis'");
    });

    it('says that nothing is registered when the registry is empty', async () => {
      const error = await rejection(larder.resources.get('db'));
      expect(error).toBeInstanceOf(ResourceError);
      expect((error as Error).message).toMatch(/no resources are registered/i);
    });
  });

  describe('with validate', () => {
    it('checks the value on every get that finds one, and recreates it when validate returns false', async () => {
      const disposed: Client[] = [];
      const checked: Client[] = [];
      let healthy = true;
      larder.resources.register('db', () => new Client('db'), {
        validate: async (client) => {
          checked.push(client);
          return healthy;
        },
        dispose: (client) => void disposed.push(client),
      });

      const first = await larder.resources.get<Client>('db');
      expect(checked).toEqual([]);
      expect(await larder.resources.get('db')).toBe(first);
      healthy = false;
      const second = await larder.resources.get<Client>('db');
      healthy = true;

      expect(second).not.toBe(first);
      expect(checked).toEqual([first, first]);
      expect(disposed).toEqual([first]);
      expect(await larder.resources.get('db')).toBe(second);
    });
  });

  describe('with ttl', () => {
    it('disposes the value once and creates a new one after ttl', async () => {
      const disposed: Client[] = [];
      larder.resources.register('token', () => new Client('token'), {
        ttl: '15m',
        dispose: (client) => void disposed.push(client),
      });

      const first = await larder.resources.get<Client>('token');
      clock.advance(15 * 60_000 - 1);
      expect(await larder.resources.get('token')).toBe(first);
      clock.advance(1);
      const [second, third] = await Promise.all([larder.resources.get('token'), larder.resources.get('token')]);

      expect(second).not.toBe(first);
      expect(third).toBe(second);
      expect(disposed).toEqual([first]);
    });
  });

  describe('release()', () => {
    it('disposes the created value once; the next get creates a new one', async () => {
      const disposed: Client[] = [];
      larder.resources.register('db', () => new Client('db'), { dispose: (client) => void disposed.push(client) });

      await larder.resources.release('db'); // nothing created yet: nothing to dispose
      const first = await larder.resources.get('db');
      await larder.resources.release('db');
      await larder.resources.release('db');
      const second = await larder.resources.get('db');

      expect(disposed).toEqual([first]);
      expect(second).not.toBe(first);
    });
  });

  describe('close()', () => {
    it('disposes every created value in reverse creation order, exactly once', async () => {
      const disposed: string[] = [];
      for (const name of ['db', 'cache', 'queue', 'never']) {
        larder.resources.register(name, () => new Client(name), {
          dispose: (client) => {
            client.end();
            disposed.push(client.name);
          },
        });
      }

      await larder.resources.get('cache');
      await larder.resources.get('db');
      await larder.resources.get('queue');
      await larder.close();
      await larder.close();

      expect(disposed).toEqual(['queue', 'db', 'cache']);
    });

    it('waits for each async dispose before the next one', async () => {
      const log: string[] = [];
      for (const name of ['first', 'second']) {
        larder.resources.register(name, () => name, {
          dispose: async (value) => {
            log.push(`start ${value}`);
            await Promise.resolve();
            log.push(`end ${value}`);
          },
        });
      }
      await larder.resources.get('first');
      await larder.resources.get('second');
      await larder.close();

      expect(log).toEqual(['start second', 'end second', 'start first', 'end first']);
    });

    it('still disposes the others when one dispose throws, and reports the failure as an error event', async () => {
      const disposed: string[] = [];
      const errors: unknown[] = [];
      larder.on('error', (event: { error?: unknown }) => errors.push(event.error));
      larder.resources.register('a', () => 'a', { dispose: () => void disposed.push('a') });
      larder.resources.register('b', () => 'b', {
        dispose: () => {
          throw new Error('b would not close');
        },
      });
      await larder.resources.get('a');
      await larder.resources.get('b');

      await larder.close();
      expect(disposed).toEqual(['a']);
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('b would not close');
    });

    it('makes later use throw ResourceError', async () => {
      larder.resources.register('db', () => new Client('db'));
      await larder.resources.get('db');
      await larder.close();

      await expect(larder.resources.get('db')).rejects.toBeInstanceOf(ResourceError);
      expect(() => larder.resources.register('other', () => 1)).toThrow(ResourceError);
    });

    it('disposes a value whose creation finished after the close, and rejects its callers', async () => {
      const release = deferred();
      const started = deferred();
      const disposed: Client[] = [];
      larder.resources.register('slow', async () => {
        started.resolve();
        await release.promise;
        return new Client('slow');
      }, { dispose: (client) => void disposed.push(client) });

      const pending = larder.resources.get('slow');
      await started.promise;
      await larder.close();
      release.resolve();

      expect(await rejection(pending)).toBeInstanceOf(ResourceError);
      expect(disposed).toHaveLength(1);
    });
  });

  describe('when a registered resource is passed to a cacheData function', () => {
    it('hashes by its name, without hashFuncs', async () => {
      larder.resources.register('db', () => new Client('db'));
      let runs = 0;
      const countUsers = cacheData(function countUsers(db: Client, active: boolean) {
        runs++;
        return active ? 2 : 5;
      }, { larder });

      const db = await larder.resources.get<Client>('db');
      await countUsers(db, true);
      await countUsers(await larder.resources.get<Client>('db'), true);
      expect(runs).toBe(1);
    });
  });
});

describe('the default `resources` export', () => {
  it("is the default larder's registry", async () => {
    resources.register('defaultDb', () => new Client('defaultDb'));

    expect(defaultLarder().resources.has('defaultDb')).toBe(true);
    expect(resources.names()).toContain('defaultDb');
    const viaExport = await resources.get('defaultDb');
    expect(await defaultLarder().resources.get('defaultDb')).toBe(viaExport);
    expect(resources.has('defaultDb')).toBe(true);
  });

  it('disposes through the default larder when it closes', async () => {
    const disposed: string[] = [];
    resources.register('defaultCache', () => 'cache', { dispose: (value) => void disposed.push(value) });
    await resources.get('defaultCache');

    await defaultLarder().close();
    expect(disposed).toEqual(['cache']);
  });
});
