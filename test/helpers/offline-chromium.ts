// Debian's Chromium (scripts/setup-system.sh installs it) for the page tests, held to the files on disk: every request
// that is not a file: URL is refused and recorded, so that a page that reaches for the network fails its test.
import * as fs from "node:fs";
import { expect } from "vitest";
import type { Browser, BrowserContext, BrowserContextOptions } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../../scripts/render.js";

export interface OfflineChromium {
  browser: Browser;
  context: BrowserContext;
  /** every URL a page asked for, file: ones included */
  requests: string[];
  /** the URLs refused (not file:) */
  blocked: string[];
}

/** Launch Chromium headless with one context; `offline` also sets the context offline (no network at all). */
export async function offlineChromium(options: BrowserContextOptions = {}, offline = true): Promise<OfflineChromium> {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM}: apt-get install chromium (scripts/setup-system.sh)`).toBe(true);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext(options);
  if (offline) await context.setOffline(true);
  const requests: string[] = [];
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url.startsWith("file:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { browser, context, requests, blocked };
}
