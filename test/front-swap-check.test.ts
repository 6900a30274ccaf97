/**
 * The swap check of the additive search's front (src/report/front-swap-check.ts): its neighbourhood worked by hand,
 * and on ResNet-20, where the exhaustive front exists, what it finds against the gap the exhaustive search measured
 * (committed in data/policy-choice.json by npm run policy:choose, from all 19,684 designs).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { frontSwapCheck, swapNeighbours } from "../src/report/front-swap-check.js";
import { additiveRemovalSearch, removalFront, removedSkips, type FrontObjective } from "../src/report/policy-choice.js";
import { runScript } from "./helpers/spawn.js";

describe("swap neighbours", () => {
  it("RLS: each removed skip kept (L or S) with a kept one removed, or a kept skip switched between L and S", () => {
    // worked by hand: kept skips at 2 (L) and 3 (S), removed at 1
    // skip 1 kept as L or S with skip 2 removed: LRS, SRS; with skip 3 removed: LLR, SLR; flips: RSS, RLL
    expect(swapNeighbours("RLS").sort()).toEqual(["LRS", "SRS", "LLR", "SLR", "RSS", "RLL"].sort());
  });
  it("counts 2r(S-r) + (S-r) policies, each removing as many skips, none the policy itself", () => {
    for (const p of ["LLLL", "RRRR", "RSLR", "SRRLS"]) {
      const n = swapNeighbours(p);
      const s = p.length;
      const r = removedSkips(p);
      expect(n.length).toBe(2 * r * (s - r) + (s - r));
      expect(new Set(n).size).toBe(n.length);
      expect(n.every((q) => removedSkips(q) === r && q !== p && q.length === s)).toBe(true);
    }
  });
});

describe("on ResNet-20, against the exhaustive search's gap", () => {
  const hls = loadCostConfig("reference");
  const pe = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);
  const choice = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "data", "policy-choice.json"), "utf8"));
  for (const o of ["bram18", "lut"] as FrontObjective[]) {
    it(`${o}: never claims more than the true gap, and finds all of it (as measured: the search's one miss is one swap away)`, () => {
      const gap = new Map<number, number>(choice.searchGap[o].map((g: { removed: number; searched: number; optimum: number }) => [g.removed, g.searched - g.optimum]));
      const cache = new Map();
      const front = removalFront(additiveRemovalSearch("resnet20", o, hls, pe, undefined, cache), o);
      const checks = frontSwapCheck("resnet20", front, o, hls, pe, undefined, cache);
      for (const c of checks) {
        const r = removedSkips(c.point.policy);
        // a neighbour is a policy of r removed skips, so it cannot beat the exhaustive optimum at r
        expect(c.missed, `${c.point.policy}`).toBeLessThanOrEqual(Math.round(gap.get(r)!));
        expect(c.missed, `${c.point.policy}`).toBe(Math.round(gap.get(r)!));
      }
    });
  }

  it("npm run policy --swap-check prints the check, and refuses it on the exhaustive search", async () => {
    const r = await runScript("scripts/policy.ts", ["--net", "resnet20", "--search", "additive", "--objective", "lut", "--swap-check"]);
    expect(r.status, r.stderr).toBe(0);
    // the rows the exhaustive search says the additive one missed, with the optimum as the neighbour's LUT
    const misses = (choice.searchGap.lut as { removed: number; searched: number; optimum: number }[]).filter((g) => g.searched > g.optimum);
    expect(misses.length).toBeGreaterThan(0);
    for (const g of misses) expect(r.stdout).toMatch(new RegExp(`\\| ${g.removed} \\| [LSR]+ \\| ${g.searched} \\| \\d+ \\| [LSR]+ \\| ${g.optimum} \\| ${g.searched - g.optimum} \\|`));
    const worst = Math.max(...misses.map((g) => g.searched - g.optimum));
    expect(r.stdout).toContain(`missed at least ${worst} lut at ${misses.length} of`);
    const e = await runScript("scripts/policy.ts", ["--net", "resnet20", "--swap-check"]);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/--swap-check: .*--search additive/);
  });
});
