// parseCsv reads back what csvTable writes, quoted fields included (a run's failure note holds commas and quotes).
import { describe, expect, it } from "vitest";
import { csvTable, parseCsv } from "../src/util/table.js";

describe("parseCsv", () => {
  it("is the inverse of csvTable", () => {
    const rows = [
      ["resnet20/policy-sssrssrss", 85.5, "done"],
      ["resnet56/policy-x", null, 'failed: loss "NaN" at epoch 3, step 12\nsee stdout.log'],
      ["", "", ""],
    ];
    const text = csvTable(["run", "test top-1 %", "state"], rows);
    expect(parseCsv(text)).toEqual([["run", "test top-1 %", "state"], ["resnet20/policy-sssrssrss", "85.5", "done"], ["resnet56/policy-x", "", 'failed: loss "NaN" at epoch 3, step 12\nsee stdout.log'], ["", "", ""]]);
  });
  it("reads CRLF lines and a last line without a newline; refuses an unclosed quote naming the file", () => {
    expect(parseCsv('a,b\r\n1,"x,y"')).toEqual([["a", "b"], ["1", "x,y"]]);
    expect(() => parseCsv('a,"b\n1,2\n', "figures/x.csv")).toThrow('figures/x.csv: a quoted field is not closed');
  });
});
