/**
 * Debian's firefox-esr, driven headless through WebDriver BiDi by puppeteer-core (playwright-core drives only its own
 * patched Firefox, which is not installed). Used by web-screenshots.ts and test/web-firefox.test.ts.
 */
import type { Browser } from "puppeteer-core";

export const FIREFOX = process.env.TAILOR_FIREFOX || "/usr/bin/firefox-esr";

/**
 * Launch Firefox headless at 1280x800. With `downloadDir`, a download is saved there without a dialog (Firefox's
 * own preferences: BiDi in puppeteer 23 has no download events for Firefox).
 */
export async function launchFirefox(opts: { downloadDir?: string } = {}): Promise<Browser> {
  const puppeteer = (await import("puppeteer-core")).default;
  const prefs: Record<string, unknown> = opts.downloadDir
    ? {
        "browser.download.dir": opts.downloadDir,
        // 2: the folder of browser.download.dir, not the user's Downloads
        "browser.download.folderList": 2,
        "browser.download.useDownloadDir": true,
        "browser.download.always_ask_before_handling_new_types": false,
        "browser.helperApps.neverAsk.saveToDisk": "application/json,text/plain",
      }
    : {};
  return puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: { width: 1280, height: 800 },
    extraPrefsFirefox: prefs,
  });
}
