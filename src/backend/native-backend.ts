/**
 * The "tailor-native" backend itself and what its kernel families (native-conv.ts, native-batchnorm.ts, ...) share:
 * its name, the pooled CPU backend their kernels allocate from, how a kernel reads a tensor's array, and the shape
 * of a family. Kept apart from native-kernels.ts, which registers the families, so that they need not import it.
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { TrainingOps } from "./training-ops.js";

export const NATIVE_BACKEND = "tailor-native";

export type Info = tf.TensorInfo;

/**
 * One family of the backend's kernels (convolution, batch norm, ...): the kernels that replace or add to the CPU
 * backend's, the gradients of the ones tfjs does not know, and the training ops that call them.
 */
export interface KernelFamily {
  kernels: tf.KernelConfig[];
  gradients?: tf.GradConfig[];
  ops?: Partial<TrainingOps>;
}

/**
 * tfjs's CPU backend with a pool of output buffers. A fresh multi-megabyte Float32Array costs page faults on first
 * touch (measured here: ~5 ms to allocate and fill 2 MB, more than the convolution that fills it), so buffers our
 * kernels allocated are recycled when their tensor is disposed. Two rules keep reuse safe: reads (dataSync, data)
 * of a pooled buffer return a copy, and a cpu kernel's output that views a pooled input gets its own copy
 * (unaliased, below).
 */
export class PooledCpuBackend extends MathBackendCPU {
  private free = new Map<number, Float32Array[]>();
  private pooled = new WeakSet<Float32Array>();
  private freeBytes = 0;
  /**
   * Bound on the bytes kept for reuse. A count per size is not enough: ResNet-56 at batch 32 holds ~150 buffers of
   * one size for its backward pass, and a pool of 64 per size made every step page-fault the rest (a step took 418
   * instead of 233 ms here).
   */
  private static readonly MAX_FREE_BYTES = 2 * 2 ** 30;

  constructor() {
    super();
    // tfjs's CPU backend prints a banner advising tfjs-node on first use; select.ts has already tried tfjs-node
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  alloc(n: number): Float32Array {
    const reused = this.free.get(n)?.pop();
    if (reused) this.freeBytes -= reused.byteLength;
    const a = reused ?? new Float32Array(n);
    this.pooled.add(a);
    return a;
  }

  private attachments = new Map<object, Float32Array[]>();

  /**
   * Arrays that live exactly as long as a tensor's data: the conv-BN unit keeps its conv output and statistics
   * with its output y this way instead of as extra outputs, for tfjs hands every output that gets no gradient a
   * zero-filled array of its size in the backward pass (engine.addTapeNode), 10 MB a ResNet-8 step of garbage.
   * Pooled arrays among them go back to the pool when the data is released.
   */
  attach(dataId: object, arrays: Float32Array[]): void {
    this.attachments.set(dataId, arrays);
  }

  attached(dataId: object): Float32Array[] {
    const a = this.attachments.get(dataId);
    if (!a) throw new Error(`${NATIVE_BACKEND}: no arrays attached to this tensor's data (was it made by the unit kernel?)`);
    return a;
  }

  /** hand back an array from alloc() that no tensor holds (a kernel's scratch) */
  recycle(a: Float32Array): void {
    if (!this.pooled.has(a) || this.freeBytes + a.byteLength > PooledCpuBackend.MAX_FREE_BYTES) return;
    const list = this.free.get(a.length) ?? [];
    list.push(a);
    this.freeBytes += a.byteLength;
    this.free.set(a.length, list);
  }

  override disposeData(dataId: object, force = false): boolean {
    const entry = this.data.get(dataId);
    const v = entry?.values;
    const disposed = super.disposeData(dataId, force);
    if (disposed && !this.data.has(dataId)) {
      const extra = this.attachments.get(dataId);
      if (extra) {
        this.attachments.delete(dataId);
        for (const a of extra) this.recycle(a);
      }
    }
    if (entry && disposed && !this.data.has(dataId) && v instanceof Float32Array && this.pooled.has(v)) {
      const list = this.free.get(v.length) ?? [];
      if (this.freeBytes + v.byteLength <= PooledCpuBackend.MAX_FREE_BYTES) {
        list.push(v);
        this.freeBytes += v.byteLength;
      }
      this.free.set(v.length, list);
    }
    return disposed;
  }

  /** whether this array came from the pool (and goes back to it when its tensor is disposed) */
  isPooled(v: Float32Array): boolean {
    return this.pooled.has(v);
  }

  override readSync(dataId: object): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    return v instanceof Float32Array && this.pooled.has(v) ? v.slice() : v;
  }

  override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }
}

/**
 * A cpu kernel run on our backend, with any output that is a view of a pooled input's array (the cpu Slice of a
 * whole tensor, SplitV, StridedSlice) given its own copy: when the input is disposed, the pool hands its array out
 * again, and the view would silently change under its reader.
 */
export function unaliased(fn: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const out = fn(args);
    const b = args.backend as PooledCpuBackend;
    const ins = Object.values(args.inputs).filter((t): t is Info => !!t);
    for (const o of Array.isArray(out) ? out : [out]) {
      const entry = b.data.get(o.dataId);
      const v = entry?.values;
      if (!ArrayBuffer.isView(v)) continue;
      for (const t of ins) {
        if (t.dataId === o.dataId) continue;
        const src = b.data.get(t.dataId)?.values;
        if (ArrayBuffer.isView(src) && src.buffer === v.buffer && b.isPooled(src as Float32Array)) {
          entry.values = (v as Float32Array).slice();
          break;
        }
      }
    }
    return out;
  };
}

export function values(backend: MathBackendCPU, t: Info): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`${NATIVE_BACKEND}: expected a Float32Array behind a ${t.dtype} tensor, got ${(v as object)?.constructor?.name ?? typeof v}`);
  return v;
}
