/**
 * Prepare the CIFAR-10 cache in the official binary layout (data/cifar10, or TAILOR_DATA_DIR).
 *   npm run prepare-data                        convert ../shared/data/cifar10-jpeg.tar.gz (once)
 *   npm run prepare-data -- --download          fetch the official archive and check its md5
 *   npm run prepare-data -- --archive F.tar.gz  unpack an official archive already on disk
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { downloadOfficial, prepareFromJpeg, prepareFromOfficial } from "../src/data/prepare.js";
import { ProgressLine } from "../src/util/progress.js";
import { parseCli } from "./cli.js";

const args = parseCli("Usage: npm run prepare-data -- [options]", {
  jpeg: { type: "string", help: "the shared JPEG copy of CIFAR-10", default: path.resolve(__dirname, "..", "..", "shared", "data", "cifar10-jpeg.tar.gz") },
  archive: { type: "string", help: "an official cifar-10-binary.tar.gz to unpack instead" },
  download: { type: "boolean", help: "download the official archive (needs internet)" },
  out: { type: "string", help: "cache directory", default: defaultDataDir() },
  force: { type: "boolean", help: "rebuild the cache even if it is complete" },
});

async function main() {
  const out = path.resolve(args.out);
  if (!args.force && fs.existsSync(path.join(out, "test_batch.bin"))) {
    try {
      const d = loadCifar10(out);
      console.log(`${out}: complete (${d.train.count} train, ${d.test.count} test); use --force to rebuild`);
      return;
    } catch (e) {
      console.log(`${out}: incomplete (${(e as Error).message}); rebuilding`);
    }
  }
  const t0 = Date.now();
  if (args.download || args.archive) {
    let archive = args.archive;
    if (args.download) {
      archive = path.join(path.dirname(out), "cifar-10-binary.tar.gz");
      console.log(`downloading to ${archive}`);
      await downloadOfficial(archive);
    }
    await prepareFromOfficial(archive!, out);
  } else {
    // "decoded i/n" messages redraw one progress line; the others stay
    const progress = new ProgressLine({ plainEveryMs: 5000 });
    const counts = await prepareFromJpeg(args.jpeg, out, { log: (s) => (/^decoded \d+\/\d+/.test(s) ? progress.update(`converting CIFAR-10: ${s} images`) : progress.log(s)) });
    progress.done();
    console.log(`train ${counts.train}, test ${counts.test}; per class ${counts.perClass.train.join("/")} and ${counts.perClass.test.join("/")}`);
  }
  console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
