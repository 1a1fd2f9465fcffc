import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from '../support/chromium.js';
import { FRAMEWORKS, MOUNT, TOKEN, type InspectedApp } from './apps.js';

/** `UPDATE_SCREENSHOT=1` writes the README's picture; otherwise it goes to a temporary file. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? fileURLToPath(new URL('../../docs/inspector.png', import.meta.url)) : join(tmpdir(), 'larder-inspector.png');

/** What the page does that a user would not see: console messages and every request it makes. */
function watch(context: BrowserContext, page: Page) {
  const seen = { errors: [] as string[], requests: [] as string[] };
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  context.on('request', (req) => seen.requests.push(req.url()));
  return seen;
}

/** A number as the page shows it in a row: `data-cache` picks the row, `data-metric` the cell. */
function figure(page: Page, cache: string, metric: string): Promise<string> {
  return page.locator(`tr[data-cache="${cache}"] [data-metric="${metric}"]`).innerText();
}

describe.skipIf(!hasChromium())('the inspector page in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  describe.each(FRAMEWORKS)('on $name', (framework) => {
    let app: InspectedApp;
    let page: Page;
    beforeEach(async () => {
      app = await framework.start();
      page = await browser.context.newPage();
    });
    afterEach(async () => {
      await page.close();
      await browser.context.clearCookies();
      await app.close();
    });

    it('logs in, shows the numbers of known traffic, clears a route and the next request misses', async () => {
      for (const path of ['/users/1', '/users/1', '/users/1', '/users/2', '/gone', '/report/eu', '/report/eu']) await request(app.url).get(path);
      await request(app.url).get('/users/3').set('Authorization', 'Bearer someone');
      const seen = watch(browser.context, page);

      const login = await page.goto(`${app.url}${MOUNT}/`);
      expect(login?.status()).toBe(401);
      // The one console line of the whole visit: Chromium reports the login page's own 401 status.
      expect(seen.errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
      seen.errors.length = 0;
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${app.url}${MOUNT}/`), page.click('button[type=submit]')]);

      expect(await figure(page, 'GET /users/:id', 'hits')).toBe('2');
      expect(await figure(page, 'GET /users/:id', 'misses')).toBe('2');
      expect(await figure(page, 'GET /users/:id', 'bypasses')).toBe('1');
      expect(await figure(page, 'GET /users/:id', 'hitRate')).toBe('50%');
      expect(await figure(page, 'GET /users/:id', 'entries')).toBe('2');
      expect(await figure(page, 'loadReport', 'hits')).toBe('1');
      expect(await page.locator('tr[data-cache="GET /users/:id"] li[data-reason="authorization"]').innerText()).toMatch(
        /authorization ×1 the request carries Authorization and the route does not key on it/,
      );
      expect(await page.locator('tr[data-cache="GET /gone"] li[data-reason="status"]').innerText()).toContain('not in statuses');
      // The bars are drawn by the nonce'd stylesheet: a CSP that blocked it would leave them 0 px wide.
      const bar = await page.locator('tr[data-cache="GET /users/:id"] .bar span').boundingBox();
      const track = await page.locator('tr[data-cache="GET /users/:id"] .bar').boundingBox();
      expect(bar!.width / track!.width).toBeCloseTo(0.5, 1);

      if (framework.name === 'Express') await page.screenshot({ path: SCREENSHOT, fullPage: true });

      await Promise.all([page.waitForURL(/done=cleared/), page.click('button[aria-label="Clear GET /users/:id"]')]);
      expect(await page.locator('.flash').innerText()).toBe('Cleared GET /users/:id. Its next request computes afresh.');
      expect(await figure(page, 'GET /users/:id', 'entries')).toBe('0');
      const runs = app.runs.user;
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
      expect(app.runs.user).toBe(runs + 1);
      await page.reload();
      expect(await figure(page, 'GET /users/:id', 'misses')).toBe('3');

      await request(app.url).get('/users/1').expect('X-Cache', 'HIT');
      await page.fill('#tag', 'users');
      await Promise.all([page.waitForURL(/done=invalidated/), page.click('button:has-text("Invalidate")')]);
      expect(await page.locator('.flash').innerText()).toContain('Invalidated tag users');
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');

      await Promise.all([page.waitForURL(`${app.url}${MOUNT}/`), page.click('button:has-text("Log out")')]);
      expect(await page.locator('#token').count()).toBe(1);

      expect(seen.errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
      const foreign = seen.requests.filter((url) => !url.startsWith(`${app.url}/`) && !url.startsWith('data:'));
      expect(foreign).toEqual([]);
      expect(seen.requests.length).toBeGreaterThan(5);
    });

    it('positive control: a page that breaks the CSP shows up as a console error', async () => {
      const seen = watch(browser.context, page);
      const refused = page.waitForEvent('console', (message) => message.type() === 'error');
      await page.setContent('<meta http-equiv="Content-Security-Policy" content="style-src \'none\'"><p style="color:red">x</p>');
      expect((await refused).text()).toMatch(/Content Security Policy/);
      expect(seen.errors.join('\n')).toMatch(/Content Security Policy/);
    });
  });
});
