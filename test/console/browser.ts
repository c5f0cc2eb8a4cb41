// The real browser the console's page is tested in: Chromium from the OS packages, driven by
// playwright-core (no browser download). When it is missing the browser tests are skipped, and
// say so once, loudly, as the Redis tests do.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Whether Chromium can be launched here. */
export const hasChromium: boolean = existsSync(CHROMIUM);

export const SKIP_REASON = `${CHROMIUM} was not found, so the console's browser tests are SKIPPED. Install Chromium (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_BIN to run them.`;

if (!hasChromium) console.warn(`\n⚠ ${SKIP_REASON}\n`);

/** Launches Chromium headless, with nothing of its own going to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
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
}
