/** The change of a Tailor network over its teacher, in percent of the teacher's value (negative: a saving). */
export const pct = (altered: number, base: number) => (base === 0 ? 0 : (100 * (altered - base)) / base);
