/**
 * NetSpec: the one plain-data description of a network and its skip connections.
 * Training (src/train) and both hardware models (src/hw) read it, so a network altered by
 * Tailor is costed exactly as it was trained.
 */

/** What a block's skip connection currently is (paper: SkipRemover -> "removed", SkipShortener -> "shortened"). */
export type SkipMode = "long" | "removed" | "shortened";

/**
 * The authors' two block forms (their released PyTorch code, oliviaweng/tailor, as we read it):
 * - "plain": x' = ReLU(x); out = units(x') + S(x'), no ReLU after the last unit (He et al. form, used by the teacher
 *   and SkipRemover).
 * - "shortenable": no ReLU at the block input, every unit ends in ReLU, the skip is added after it; when shortened,
 *   every unit gets its own skip: h_i = ReLU(BN_i(conv_i h_{i-1})) + S_i(h_{i-1}).
 */
export type BlockForm = "plain" | "shortenable";

/**
 * How a conv or pool pads its input, per axis of n pixels, kernel k, stride s, dilation d:
 * - "symmetric" (the default): floor(d(k-1)/2) on both sides, PyTorch's `padding=k//2` as in the authors' code and
 *   in hls4ml's PyTorch converter (converters/utils.py, compute_padding_2d_pytorch: pad_top = pad_bottom = padding);
 * - "same": TensorFlow/Keras 'same': output ceil(n/s), total padding max((ceil(n/s)-1)s + d(k-1) + 1 - n, 0), its
 *   odd pixel after (bottom/right), as hls4ml's Keras converter computes it (converters/utils.py,
 *   compute_padding_2d, hls4ml v1.3.0 ef92ebd lines 113-129: pad_top = pad_along_height // 2); a 4x4 kernel at
 *   stride 1 pads 1 before and 2 after;
 * - "valid": none.
 */
export type Padding = "symmetric" | "same" | "valid";

/** A max pool: kernel, stride (default: the kernel, as Keras's MaxPooling2D), padding (default "valid"). */
export interface PoolSpec {
  kernel: number;
  stride?: number;
  padding?: "valid" | "symmetric";
}

/** One convolution. 2D networks use square kernels; 1D networks (QuartzNet) set `dims: 1` on the NetSpec. */
export interface ConvSpec {
  kernel: number;
  stride: number;
  /** output channels */
  out: number;
  /** "depthwise+pointwise" is a time-channel separable conv (QuartzNet): depthwise K, then 1x1 to `out`. */
  kind?: "standard" | "separable";
  dilation?: number;
  /** default "symmetric" (see Padding) */
  padding?: Padding;
  /** false: no batch norm after this conv (a QKeras QConv2DBatchnorm folds it before conversion); default true */
  bn?: boolean;
  /** a max pool after this conv's ReLU (stem and tail convs only: a CNN's conv-ReLU-pool stage) */
  pool?: PoolSpec;
}

/** A hidden dense layer of a flatten-dense head: dense, batch norm (unless `bn: false`), ReLU. */
export interface DenseSpec {
  out: number;
  bn?: boolean;
}

/**
 * A unit is one conv (or separable conv) followed by batch norm: the span of one short skip.
 * A block is a sequence of units with one long skip around them all.
 */
export interface BlockSpec {
  name: string;
  units: ConvSpec[];
  form: BlockForm;
  skip: SkipMode;
  /**
   * long-skip shortcut: "auto" (identity, or a 1x1 conv + BN projection where the shape changes: the default),
   * "projection" (always a 1x1 conv + BN, as QuartzNet's residuals) or "identity"
   */
  shortcut?: "auto" | "projection" | "identity";
  /** false for a block built without any skip (then its mode must be "removed") */
  hasSkip?: boolean;
}

export interface StemSpec {
  convs: ConvSpec[];
  /** max pool after the stem (ImageNet ResNets): kernel and stride */
  maxPool?: { kernel: number; stride: number };
}

export interface NetSpec {
  name: string;
  /** 2 for images (C x H x W), 1 for sequences (C x T, stored with H = 1) */
  dims: 1 | 2;
  input: { channels: number; height: number; width: number };
  stem: StemSpec;
  blocks: BlockSpec[];
  /** convs after the blocks, each conv + BN + ReLU (QuartzNet's C2, C3) */
  tail?: ConvSpec[];
  /**
   * "gap-dense": ReLU, global average pool, dense (ResNets); "conv1x1": a 1x1 conv with bias (QuartzNet);
   * "flatten-dense": Flatten, the hidden dense layers, then the dense of the classes (the common CNN head of hls4ml's
   * tutorial; no ReLU before the flatten: the last stem or tail conv ends in its own)
   */
  head: { kind: "gap-dense"; classes: number } | { kind: "conv1x1"; classes: number } | { kind: "flatten-dense"; hidden: DenseSpec[]; classes: number };
}
