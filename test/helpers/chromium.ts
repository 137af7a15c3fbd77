/**
 * The system's Chromium for browser tests (Debian's `chromium` package; no browser download),
 * driven by playwright-core. Tests skip visibly when it is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** The Chromium executable: $CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser. */
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);

/** Why browser tests cannot run here, or undefined when they can. */
export const NO_CHROMIUM = CHROMIUM
  ? undefined
  : 'no system Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)';

/**
 * Launches headless Chromium with a fresh profile and no background network (runs as root in CI,
 * hence no sandbox). Close it with the returned `close`, which also removes the profile.
 */
export async function launchChromium(
  o: { httpCredentials?: { username: string; password: string } } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM);
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 960 },
    ...(o.httpCredentials ? { httpCredentials: o.httpCredentials } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
