/**
 * Text that collides in a drawn figure: the boxes (in page pixels) of a figure's title, axis titles and
 * annotations as the browser laid them out, and the pairs of them that overlap; and text drawn over a star (the
 * point a reported value is read from: markers.ts). Pure: the browser test measures, this judges.
 */

export interface TextBox {
  /** what the text is: "title", "axis title", "annotation" */
  kind: string;
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Overlap of two boxes by more than `slack` pixels in both directions (glyph boxes carry a pixel or two of
 * ascender and descender space that touches a neighbouring line without any ink meeting).
 */
export function boxesOverlap(a: TextBox, b: TextBox, slack = 2): boolean {
  const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return dx > slack && dy > slack;
}

/** every pair of boxes that overlap, in input order */
export function overlappingBoxes(boxes: TextBox[], slack = 2): [TextBox, TextBox][] {
  const out: [TextBox, TextBox][] = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (boxesOverlap(boxes[i], boxes[j], slack)) out.push([boxes[i], boxes[j]]);
  return out;
}

/** every (text, star) pair where a text box covers a star marker's box, in input order */
export function textOverStars(texts: TextBox[], stars: TextBox[], slack = 2): [TextBox, TextBox][] {
  return texts.flatMap((t) => stars.filter((s) => boxesOverlap(t, s, slack)).map((s): [TextBox, TextBox] => [t, s]));
}
