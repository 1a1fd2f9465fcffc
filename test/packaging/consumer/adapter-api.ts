/**
 * A framework adapter's imports: the adapter SPI resolves from `@larder/core/adapter`, and is not
 * part of the package root. Compiled by the packaging test in a fresh project, like public-api.ts.
 */
import type { IncomingMessage } from 'node:http';
import {
  Capture, InputGuard, RouteCache, detachedExchange, encodeEntry, isRefresh, responseHeaders, sourceHash, stripUnkeyed,
  type Decision, type ReplayPlan, type RequestFacts,
} from '@larder/core/adapter';
// @ts-expect-error -- the adapter SPI is not exported from the root, where applications import from.
import { RouteCache as NotInTheRoot } from '@larder/core';

export const routeCache = new RouteCache('5m', { vary: ['accept-language'] });
export const handlesGet: boolean = routeCache.handles('GET');
export const wantsRefresh = (req: IncomingMessage): boolean => isRefresh(req);
export type AdapterTypes = Decision | ReplayPlan | RequestFacts | Capture | InputGuard;
export const helpers = [detachedExchange, encodeEntry, responseHeaders, sourceHash, stripUnkeyed, NotInTheRoot] as const;
