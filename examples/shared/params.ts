/**
 * Request validation shared by the Express and Koa apps. Invalid input throws
 * {@link BadRequestError} (status 400): error responses are not stored by `cached()`, whose
 * default `statuses` is `[200]`.
 */
import { BOROUGHS, ZONES, isBorough } from './city.js';
import type { RideFilter } from './analytics.js';

export class BadRequestError extends Error {
  readonly status = 400;
  /** Koa shows the message of errors that set `expose`. */
  readonly expose = true;
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

export class NotFoundError extends Error {
  readonly status = 404;
  readonly expose = true;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestError(`'${name}' must be given once, e.g. ?${name}=…`);
  return value;
}

function integer(query: Query, name: string, min: number, max: number): number | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(`'${name}' must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** `?borough=Brooklyn&hour=8` → `{ borough: 'Brooklyn', hour: 8 }`. */
export function parseRideFilter(query: Query, { hour = true } = {}): RideFilter {
  const filter: RideFilter = {};
  const borough = single(query, 'borough');
  if (borough !== undefined) {
    if (!isBorough(borough)) throw new BadRequestError(`'borough' must be one of ${BOROUGHS.join(', ')}; got '${borough}'`);
    filter.borough = borough;
  }
  const hourValue = hour ? integer(query, 'hour', 0, 23) : undefined;
  if (hourValue !== undefined) filter.hour = hourValue;
  return filter;
}

export function parseLimit(query: Query, fallback = 10, max = 50): number {
  return integer(query, 'limit', 1, max) ?? fallback;
}

export function parseZoneId(raw: unknown): number {
  if (typeof raw !== 'string') throw new BadRequestError('zone id must be given once');
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 0) throw new BadRequestError(`zone id must be a non-negative integer, got '${raw}'`);
  if (id >= ZONES.length) throw new NotFoundError(`no zone ${id} (zones are 0–${ZONES.length - 1})`);
  return id;
}

export function parseText(query: Query, name = 'text', maxLength = 500): string {
  const text = single(query, name);
  if (text === undefined) throw new BadRequestError(`'${name}' is required, e.g. ?${name}=What a smooth ride`);
  if (text.length > maxLength) throw new BadRequestError(`'${name}' is longer than ${maxLength} characters`);
  return text;
}

export function parseTag(query: Query): string {
  const tag = single(query, 'tag');
  if (tag === undefined) throw new BadRequestError("'tag' is required, e.g. ?tag=rides");
  return tag;
}

/** The body of `POST /zones/:id/reviews`: `{ "rating": 1–5, "text": "…" }`. */
export function parseReview(body: unknown): { rating: number; text: string } {
  const { rating, text } = (body ?? {}) as { rating?: unknown; text?: unknown };
  if (!Number.isInteger(rating) || (rating as number) < 1 || (rating as number) > 5) {
    throw new BadRequestError("'rating' must be an integer from 1 to 5, e.g. {\"rating\": 5, \"text\": \"Spotless car\"}");
  }
  if (typeof text !== 'string' || text.trim() === '' || text.length > 500) {
    throw new BadRequestError("'text' must be a non-empty string of at most 500 characters");
  }
  return { rating: rating as number, text: text.trim() };
}
