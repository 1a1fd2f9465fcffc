/**
 * The per-test fixture of a scenario suite: a larder on a clock the test moves, its events, the guard's
 * warnings, and `start()` for an app whose cached routes (and provideLarder) use that larder.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { createLarder, type Larder, type LarderEvent } from '@larder/core';
import { takeWarnings } from '../support/quiet.js';
import { withLarder, type AppSetup, type Framework, type RouteSpec, type RunningApp } from './harness.js';

export interface ScenarioApp {
  readonly larder: Larder;
  /** Milliseconds since the epoch on the larder's clock; tests move it forward. */
  now: number;
  readonly events: Array<[string, LarderEvent]>;
  /** Takes the warnings emitted so far (each must be the guard's LARDER_UNKEYED_INPUT) and returns their messages. */
  unkeyedWarnings(): string[];
  /** Starts an app whose cached routes, app-level cached() and provideLarder() use this test's larder. */
  start(setup: AppSetup): Promise<RunningApp>;
}

/** Registers the hooks of one scenario suite and returns its fixture (fields are fresh in every test). */
export function useScenarioApp(framework: Framework): ScenarioApp {
  let app: RunningApp | undefined;
  const fixture = {
    larder: undefined as unknown as Larder,
    now: 0,
    events: [] as Array<[string, LarderEvent]>,
    unkeyedWarnings(): string[] {
      const taken = takeWarnings();
      expect(taken.map((w) => w.code)).toEqual(taken.map(() => 'LARDER_UNKEYED_INPUT'));
      return taken.map((w) => w.message);
    },
    async start(setup: AppSetup): Promise<RunningApp> {
      const larder = fixture.larder;
      const routes = setup.routes.map((route): RouteSpec => (route.cached ? { ...route, cached: withLarder(larder, route.cached as [unknown?, unknown?]) } : route));
      const appLevelCached = setup.appLevelCached ? withLarder(larder, setup.appLevelCached as [unknown?, unknown?]) : undefined;
      const provideLarder = setup.provideLarder ? [{ larder, ...(setup.provideLarder[0] as object | undefined) }] as [unknown] : undefined;
      app = await framework.start({ ...setup, routes, appLevelCached, provideLarder });
      return app;
    },
  };
  beforeEach(() => {
    fixture.now = 1_700_000_000_000;
    fixture.larder = createLarder({ clock: { now: () => fixture.now } });
    fixture.events = [];
    for (const name of ['hit', 'miss', 'stale', 'set', 'bypass', 'error'] as const) fixture.larder.on(name, (e: LarderEvent) => fixture.events.push([name, e]));
  });
  afterEach(async () => {
    const errors = app?.errors.splice(0) ?? [];
    await app?.close();
    app = undefined;
    await fixture.larder.close();
    expect(errors).toEqual([]);
  });
  return fixture;
}

/** An HTTP date `seconds` from the fixture's clock. */
export function httpDate(fixture: ScenarioApp, seconds = 0): string {
  return new Date(fixture.now + seconds * 1000).toUTCString();
}
