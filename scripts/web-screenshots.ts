/**
 * Screenshots of the cost explorer for the README: the built page (scripts/web-build.ts) opened from file:// in
 * Debian's Chromium at 1280x800 and at 390 wide (a phone), on a ResNet-20 design. PNGs into docs/ by default.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCli } from "./cli.js";
import { CHROMIUM, CHROMIUM_ARGS } from "./render.js";
import { buildWeb } from "./web-build.js";

const args = parseCli("Usage: npx tsx scripts/web-screenshots.ts [--out DIR] [--hash HASH]\nScreenshots of the cost explorer page at 1280x800 and 390x844 (explorer-1280.png, explorer-390.png).", {
  out: { type: "string", default: "docs", help: "folder of the PNGs" },
  hash: { type: "string", default: "#net=resnet20&form=shortenable&policy=SSSRRSSSS", help: "the design shown (the page's URL hash)" },
});

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-shots-"));
  try {
    const site = await buildWeb(path.join(tmp, "site"));
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    fs.mkdirSync(args.out, { recursive: true });
    for (const [w, h] of [
      [1280, 800],
      [390, 844],
    ]) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      await page.goto(`file://${path.join(site.dir, "index.html")}${args.hash}`);
      await page.waitForSelector("#occ canvas");
      const file = path.join(args.out, `explorer-${w}.png`);
      // written whole, then renamed: a failed run leaves the previous screenshot
      fs.writeFileSync(`${file}.tmp`, await page.screenshot({ type: "png" }));
      fs.renameSync(`${file}.tmp`, file);
      console.log(`${file} (${w}x${h})`);
      await page.close();
    }
    await browser.close();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`error: web-screenshots: ${(e as Error).message}`);
  process.exit(1);
});
