/**
 * Screenshots of the cost explorer for the README: the built page (scripts/web-build.ts) opened from file:// at
 * 1280x800 and at 390 wide (a phone), on a ResNet-20 design, in Debian's Chromium (explorer-<width>.png) and in
 * Debian's firefox-esr (explorer-firefox-<width>.png). PNGs into docs/ by default.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCli } from "./cli.js";
import { FIREFOX, launchFirefox } from "./firefox.js";
import { CHROMIUM, CHROMIUM_ARGS } from "./render.js";
import { buildWeb } from "./web-build.js";

const BROWSERS = ["chromium", "firefox", "both"];
const args = parseCli(
  "Usage: npx tsx scripts/web-screenshots.ts [--out DIR] [--hash HASH] [--browser chromium|firefox|both]\nScreenshots of the cost explorer page at 1280x800 and 390x844 (explorer-1280.png, explorer-390.png; in Firefox explorer-firefox-1280.png, explorer-firefox-390.png).",
  {
    out: { type: "string", default: "docs", help: "folder of the PNGs" },
    hash: { type: "string", default: "#net=resnet20&form=shortenable&policy=SSSRRSSSS", help: "the design shown (the page's URL hash)" },
    browser: { type: "string", default: "both", help: "chromium, firefox or both" },
  },
);

const SIZES: [number, number][] = [
  [1280, 800],
  [390, 844],
];

/** a browser opened for screenshots: one PNG of the viewport at a size, then closed */
interface Shooter {
  shoot(url: string, width: number, height: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function chromiumShooter(): Promise<Shooter> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    async shoot(url, width, height) {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(url);
      await page.waitForSelector("#occ canvas");
      const png = await page.screenshot({ type: "png" });
      await page.close();
      return png;
    },
    close: () => browser.close(),
  };
}

async function firefoxShooter(): Promise<Shooter> {
  if (!fs.existsSync(FIREFOX)) throw new Error(`${FIREFOX} not found (apt-get install firefox-esr)`);
  const browser = await launchFirefox();
  return {
    async shoot(url, width, height) {
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      await page.goto(url);
      await page.waitForSelector("#occ canvas");
      const png = await page.screenshot({ type: "png" });
      await page.close();
      return png;
    },
    close: () => browser.close(),
  };
}

async function main(): Promise<void> {
  if (!BROWSERS.includes(args.browser)) throw new Error(`--browser: expected one of ${BROWSERS.join(", ")}, got "${args.browser}"`);
  const wanted = args.browser === "both" ? ["chromium", "firefox"] : [args.browser];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-shots-"));
  try {
    const site = await buildWeb(path.join(tmp, "site"));
    const url = `file://${path.join(site.dir, "index.html")}${args.hash}`;
    fs.mkdirSync(args.out, { recursive: true });
    for (const b of wanted) {
      const shooter = b === "chromium" ? await chromiumShooter() : await firefoxShooter();
      try {
        for (const [w, h] of SIZES) {
          const file = path.join(args.out, b === "chromium" ? `explorer-${w}.png` : `explorer-${b}-${w}.png`);
          // written whole, then renamed: a failed run leaves the previous screenshot
          fs.writeFileSync(`${file}.tmp`, await shooter.shoot(url, w, h));
          fs.renameSync(`${file}.tmp`, file);
          console.log(`${file} (${b}, ${w}x${h})`);
        }
      } finally {
        await shooter.close();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`error: web-screenshots: ${(e as Error).message}`);
  process.exit(1);
});
