/**
 * Headless Chromium for the end-to-end tests: Debian's `chromium` package through playwright-core.
 * Tests skip when it is absent, except in CI (`process.env.CI`), where they fail.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser tests run here; in CI a missing Chromium is an error, not a skip. */
export function chromiumAvailable(): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.CI)
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
  return present;
}

/** Starts Chromium headless, offline, with a fresh profile (playwright makes a temporary one). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** The folder a test writes its screenshots to (under the OS temp dir), created if needed. */
export function screenshotDir(name: string): string {
  const dir = join(tmpdir(), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
