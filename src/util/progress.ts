/**
 * One progress line redrawn in place on a terminal ("\r" and erase-to-end-of-line), plain log lines when the
 * output is not a terminal (CI, a log file): there, an update is printed at most every `plainEveryMs`, so a log
 * keeps a trace of progress without a line per step, or never (`plainUpdates: false`: a log keeps only the done()
 * lines, one per stage). `log()` prints a permanent line above the progress line.
 */

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** redraw in place (default: the stream is a TTY, TERM is not "dumb" and CI is unset) */
  tty?: boolean;
  /** without a TTY: the least time between two printed updates (default 10 s) */
  plainEveryMs?: number;
  /** without a TTY: print updates at all (default true); false leaves the done() and log() lines only */
  plainUpdates?: boolean;
  /** on a TTY: the least time between two redraws (default 100 ms) */
  redrawEveryMs?: number;
  /** a clock, for tests */
  now?: () => number;
}

/** `text` cut to fit `columns - 1` characters (a line that wraps cannot be redrawn in place). */
export function fitLine(text: string, columns: number): string {
  const max = Math.max(10, columns - 1);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** 42 s, 3.5 min, 2.1 h */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}

/** [#####.....] of a fraction in [0, 1] */
export function bar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

/** Rate and ETA of a job of `total` units, `done` after `seconds`. */
export function eta(done: number, total: number, seconds: number): { rate: number; etaSeconds: number } {
  const rate = seconds > 0 ? done / seconds : 0;
  return { rate, etaSeconds: rate > 0 ? (total - done) / rate : NaN };
}

/** Where an evaluation stage is: the item (a run) being evaluated, and the images of the whole stage. */
export interface EvalProgress {
  stage: string;
  item: string;
  /** 1-based */
  index: number;
  items: number;
  done: number;
  total: number;
  /** images per second over the stage so far */
  rate: number;
  /** the images left at that rate (NaN before the first batch) */
  etaSeconds: number;
}

/** "depth study: resnet20/teacher (3/14), 25000/140000 images, 2300 img/s, ETA 50 s" */
export function evalProgressLine(p: EvalProgress): string {
  return `${p.stage}: ${p.item} (${p.index}/${p.items}), ${p.done}/${p.total} images, ${p.rate.toFixed(0)} img/s, ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * The images of a stage of known size, counted as they are evaluated: the rate is measured from the stage's start
 * (loading and compiling each network included: what the ETA must cover too).
 */
export class RateMeter {
  private done = 0;
  private readonly t0: number;

  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
  }

  /** `n` more units done; the counts, the rate (per second) and the ETA */
  add(n: number): { done: number; total: number; rate: number; etaSeconds: number } {
    this.done += n;
    return { done: this.done, total: this.total, ...eta(this.done, this.total, (this.now() - this.t0) / 1000) };
  }
}

export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  readonly tty: boolean;
  private readonly plainEveryMs: number;
  private readonly plainUpdates: boolean;
  private readonly redrawEveryMs: number;
  private readonly now: () => number;
  private shown = "";
  private lastDraw = -Infinity;
  private pending = "";

  constructor(o: ProgressOptions = {}) {
    this.stream = o.stream ?? process.stdout;
    this.tty = o.tty ?? (!!this.stream.isTTY && process.env.TERM !== "dumb" && !process.env.CI);
    this.plainEveryMs = o.plainEveryMs ?? 10_000;
    this.plainUpdates = o.plainUpdates ?? true;
    this.redrawEveryMs = o.redrawEveryMs ?? 100;
    this.now = o.now ?? (() => Date.now());
  }

  /** Show `text` as the current progress (throttled; `force` draws now). */
  update(text: string, force = false): void {
    this.pending = text;
    const t = this.now();
    if (this.tty) {
      if (!force && t - this.lastDraw < this.redrawEveryMs) return;
      this.lastDraw = t;
      this.shown = fitLine(text, this.stream.columns || 120);
      this.stream.write(`\r${this.shown}\x1b[K`);
    } else {
      if (!this.plainUpdates || (!force && t - this.lastDraw < this.plainEveryMs)) return;
      this.lastDraw = t;
      this.stream.write(`${text}\n`);
    }
  }

  /** A permanent line; the progress line is drawn again under it. */
  log(text: string): void {
    if (this.tty && this.shown) {
      this.stream.write(`\r\x1b[K${text}\n`);
      this.stream.write(`\r${this.shown}\x1b[K`);
    } else this.stream.write(`${text}\n`);
  }

  /** End the progress line: it is replaced by `text` (or cleared). */
  done(text?: string): void {
    if (this.tty) {
      if (this.shown) this.stream.write("\r\x1b[K");
      this.shown = "";
      if (text) this.stream.write(`${text}\n`);
    } else if (text) this.stream.write(`${text}\n`);
    this.lastDraw = -Infinity;
    this.pending = "";
  }

  /** the last text given to update() */
  get current(): string {
    return this.pending;
  }
}
