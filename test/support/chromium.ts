import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); test tools' own browser downloads cannot work here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium that talks to nothing but the pages it is sent to: no background
 * networking, component updates, sync or first-run work (this machine has no network, and those
 * would only add noise and failed connections).
 */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

let warned = false;

/** Whether Chromium is installed; otherwise a loud warning (once), or a failure under `CI=true`. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing, and CI=true requires the browser tests to run (apt-get install -y chromium).`);
  }
  if (!warned) {
    warned = true;
    console.warn(`\n*** WARNING: ${CHROMIUM} is missing; the browser tests are SKIPPED (apt-get install -y chromium). ***\n`);
  }
  return false;
}

/** A headless Chromium with a fresh, empty profile; `close()` removes the profile. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'larder-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
