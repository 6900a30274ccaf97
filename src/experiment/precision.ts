/** A trained precision: float, or integer weights and activations of `bits` (src/train/quant.ts). */
export type Precision = "float" | number;

export const precisionLabel = (p: Precision) => (p === "float" ? "float" : `${p}-bit`);

/** The precision a run's config trains at: its ReLU outputs' bits, or float without quantisers. */
export const precisionOf = (c: { quantActBits: number; quantWeightBits: number }): Precision => (c.quantActBits || c.quantWeightBits ? c.quantActBits || c.quantWeightBits : "float");
