/** figures/claims.json after a partial run (src/report/claims-file.ts): its group's verdicts new, the others carried over. */
import { describe, expect, it } from "vitest";
import type { ClaimResult } from "../src/report/claims.js";
import { carriedOverNote, mergeClaims, parseClaimsFile } from "../src/report/claims-file.js";

const claim = (id: string, status: string) => ({ id, status }) as unknown as ClaimResult;
const order = ["C1", "C2", "C7a", "C8"];

describe("the claims file", () => {
  const full = mergeClaims(order, order.map((id) => claim(id, "old")), { date: "D1" }, null);
  it("a full run stands alone", () => {
    expect(full).toEqual({ environment: { date: "D1" }, claims: order.map((id) => claim(id, "old")) });
  });
  it("a partial run replaces its own claims and carries the others over, in order, with their run's date", () => {
    const part = mergeClaims(order, [claim("C8", "new"), claim("C7a", "new")], { date: "D2", only: "C8" }, full);
    expect(part.claims.map((c) => `${c.id} ${c.status}`)).toEqual(["C1 old", "C2 old", "C7a new", "C8 new"]);
    expect(part.carriedOver).toEqual({ C1: "D1", C2: "D1" });
    // a second partial run keeps the date of the run that computed each claim, not of the file it read
    const again = mergeClaims(order, [claim("C1", "newer")], { date: "D3", only: "C1" }, part);
    expect(again.carriedOver).toEqual({ C2: "D1", C7a: "D2", C8: "D2" });
    expect(carriedOverNote(again)).toBe("\nThis run computed C1 only (`--only C1`); carried over unchanged: C2 from the run of D1; C7a, C8 from the run of D2.\n");
    expect(carriedOverNote(full)).toBe("");
  });
  it("a partial run without an earlier file writes what it computed", () => {
    expect(mergeClaims(order, [claim("C8", "new")], { date: "D2" }, null).claims.map((c) => c.id)).toEqual(["C8"]);
  });
  it("a damaged file is an error naming it and what it lacks", () => {
    expect(() => parseClaimsFile("{", "figures/claims.json")).toThrow(/^figures\/claims\.json: not JSON/);
    expect(() => parseClaimsFile('{"claims": []}', "f.json")).toThrow("f.json: expected { environment: { date }, claims: [{ id, ... }] }");
    expect(parseClaimsFile(JSON.stringify(full), "f.json")).toEqual(full);
  });
});
