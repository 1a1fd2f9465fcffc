/**
 * hash_funcs, example 2: hashing a Pydantic model.
 *
 *   class Person(BaseModel):
 *       name: str
 *
 *   @st.cache_data(hash_funcs={Person: lambda p: p.name})
 *   def identity(person: Person):
 *       return person
 *
 * Two differences in Larder:
 * - a class can declare its own hash with a `[Symbol.for('larder.hashKey')]()` method, so no
 *   `hashFuncs` is needed where it is used;
 * - returning the instance itself throws UnserializableReturnValueError: a copy would lose its
 *   class (JavaScript has no pickle), so return plain data and rebuild the instance if needed.
 */
import { cacheData, UnserializableReturnValueError } from '@larder/core';
import { runIfMain } from './run.js';

export class Person {
  constructor(readonly name: string) {}
  modelDump(): { name: string } {
    return { name: this.name };
  }
}

/** A model that says how to hash itself (as a Pydantic model can be dumped). */
export class HashablePerson extends Person {
  [Symbol.for('larder.hashKey')](): unknown {
    return this.modelDump();
  }
}

export const runs = { identity: 0 };

export const identity = cacheData(
  function identity(person: Person) {
    runs.identity++;
    return person.modelDump();
  },
  { hashFuncs: new Map([[Person, (p: Person) => p.name]]) },
);

export const identityByProtocol = cacheData(function identityByProtocol(person: HashablePerson) {
  runs.identity++;
  return person.modelDump();
});

export const identityReturningTheInstance = cacheData(
  function identityReturningTheInstance(person: Person) {
    return person;
  },
  { hashFuncs: { Person: (p: Person) => p.name } },
);

async function main(): Promise<void> {
  const person = new Person((await identity(new Person('Lee'))).name);
  console.log(`The person is ${person.name}`);
  await identity(new Person('Lee')); // cached
  await identityByProtocol(new HashablePerson('Lee')); // runs (another function)
  await identityByProtocol(new HashablePerson('Lee')); // cached, no hashFuncs needed
  console.log(`identity functions ran ${runs.identity} times for 4 calls`);
  await identityReturningTheInstance(person).catch((error: UnserializableReturnValueError) => console.log(error.message));
}

await runIfMain(import.meta.url, main);
