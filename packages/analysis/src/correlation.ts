/**
 * Pearson correlation: of two vectors, and of every pair of many variables at once, streamed
 * over blocks of observations so that a layer's feature maps over thousands of images never
 * have to be held in memory together.
 *
 * All sums are in float64 and taken about a shift (each variable's mean in the first block),
 * so the one-pass formula `cov = (Σ dx dy - Σ dx Σ dy / n) / n` with `dx = x - shift` does not
 * cancel catastrophically when a variable's mean is large next to its spread.
 */

/**
 * A variable whose standard deviation is at most this fraction of its root mean square counts
 * as constant (float64 rounding leaves about 1e-16 of spread on identical values).
 */
export const CONSTANT_TOLERANCE = 1e-10;

const TOL2 = CONSTANT_TOLERANCE * CONSTANT_TOLERANCE;

/**
 * Pearson's r of two equally long vectors: `Σ (a - ā)(b - b̄) / sqrt(Σ (a - ā)² Σ (b - b̄)²)`,
 * in float64, two passes. NaN when either vector is constant (r is undefined).
 * @throws RangeError when the lengths differ or are below 2.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`pearson: the vectors have different lengths, ${n} and ${b.length}`);
  if (n < 2) throw new RangeError(`pearson: needs at least two observations, got ${n}`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  let qa = 0;
  let qb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
    qa += a[i]! * a[i]!;
    qb += b[i]! * b[i]!;
  }
  if (saa <= TOL2 * qa || sbb <= TOL2 * qb) return NaN;
  return clamp(sab / Math.sqrt(saa * sbb));
}

const clamp = (r: number) => Math.max(-1, Math.min(1, r));

/** Every pair's r among some variables, and how many variables were left out for being constant. */
export interface CorrelationPairs {
  /** r of each pair (i < j) of non-constant variables, row by row. */
  values: Float64Array;
  /** Variables whose r is undefined (constant), left out of {@link values}. */
  constant: number;
}

/**
 * Accumulates what the correlation matrix of `variables` variables needs, block by block. A
 * block holds the same number of observations of every variable, variable-major: variable i's
 * observations are `block[i * length .. (i + 1) * length)`. That is the layout of one image's
 * feature maps `[C, H, W]` (variables = channels, observations = positions), so feeding every
 * image of a batch `[N, C, H, W]` correlates the channels over images and positions together.
 */
export class CorrelationAccumulator {
  /** Observations added so far (per variable). */
  count = 0;
  private readonly shiftValues: Float64Array;
  private readonly sums: Float64Array;
  private readonly squares: Float64Array;
  /** Upper triangle (i <= j) of Σ dx_i dx_j, row-major in a full matrix for simplicity. */
  private readonly products: Float64Array;
  private scratch = new Float64Array(0);

  constructor(
    /** How many variables (channels, kernels). */
    readonly variables: number,
  ) {
    if (!Number.isInteger(variables) || variables < 1) throw new RangeError(`CorrelationAccumulator: variables must be a positive integer, got ${variables}`);
    this.shiftValues = new Float64Array(variables);
    this.sums = new Float64Array(variables);
    this.squares = new Float64Array(variables);
    this.products = new Float64Array(variables * variables);
  }

  /**
   * Adds `length` observations of every variable from `block` (variable-major, see the class),
   * starting at `offset`.
   */
  add(block: ArrayLike<number>, length: number, offset = 0): this {
    const V = this.variables;
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`CorrelationAccumulator.add: length must be a positive integer, got ${length}`);
    if (offset + V * length > block.length) throw new RangeError(`CorrelationAccumulator.add: a block of ${V} variables x ${length} observations from offset ${offset} needs ${offset + V * length} values, got ${block.length}`);
    if (this.count === 0) {
      for (let i = 0; i < V; i++) {
        let s = 0;
        for (let k = 0; k < length; k++) s += block[offset + i * length + k]!;
        this.shiftValues[i] = s / length;
      }
    }
    if (this.scratch.length < V * length) this.scratch = new Float64Array(V * length);
    const d = this.scratch;
    for (let i = 0; i < V; i++) {
      const sh = this.shiftValues[i]!;
      let s = 0;
      let q = 0;
      for (let k = 0; k < length; k++) {
        const x = block[offset + i * length + k]!;
        const v = x - sh;
        d[i * length + k] = v;
        s += v;
        q += x * x;
      }
      this.sums[i]! += s;
      this.squares[i]! += q;
    }
    const P = this.products;
    for (let i = 0; i < V; i++) {
      const oi = i * length;
      for (let j = i; j < V; j++) {
        const oj = j * length;
        let s = 0;
        for (let k = 0; k < length; k++) s += d[oi + k]! * d[oj + k]!;
        P[i * V + j]! += s;
      }
    }
    this.count += length;
    return this;
  }

  /** The shift the sums are taken about (each variable's mean in the first block; zeros before it). */
  get shift(): Float64Array {
    return this.shiftValues;
  }

  /**
   * Sets the shift before the first observation (for {@link addMoments}, whose caller computes
   * the sums about it).
   * @throws Error once observations have been added.
   */
  setShift(shift: ArrayLike<number>): this {
    if (this.count > 0) throw new Error('CorrelationAccumulator.setShift: observations were already added about the current shift');
    if (shift.length !== this.variables) throw new RangeError(`CorrelationAccumulator.setShift: expected ${this.variables} values, got ${shift.length}`);
    this.shiftValues.set(shift);
    return this;
  }

  /**
   * Adds `count` observations given by their moments about {@link shift}: `sums[i] = Σ (x_i -
   * shift_i)` and `products[i * variables + j] = Σ (x_i - shift_i)(x_j - shift_j)` (a full,
   * symmetric matrix; only i <= j is read). This is how a caller with a fast matrix product (a
   * GEMM over a whole batch) feeds the accumulator; {@link add} computes the same moments itself.
   */
  addMoments(count: number, sums: ArrayLike<number>, products: ArrayLike<number>): this {
    const V = this.variables;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`CorrelationAccumulator.addMoments: count must be a positive integer, got ${count}`);
    if (sums.length !== V || products.length !== V * V) throw new RangeError(`CorrelationAccumulator.addMoments: expected ${V} sums and ${V * V} products, got ${sums.length} and ${products.length}`);
    for (let i = 0; i < V; i++) {
      const sh = this.shiftValues[i]!;
      const s = sums[i]!;
      this.sums[i]! += s;
      // Σ x² = Σ (d + shift)² = Σ d² + 2 shift Σ d + n shift².
      this.squares[i]! += products[i * V + i]! + 2 * sh * s + count * sh * sh;
      for (let j = i; j < V; j++) this.products[i * V + j]! += products[i * V + j]!;
    }
    this.count += count;
    return this;
  }

  /** Each variable's mean so far. */
  means(): Float64Array {
    return Float64Array.from(this.shiftValues, (sh, i) => sh + this.sums[i]! / this.count);
  }

  /** Each variable's population variance so far. */
  variances(): Float64Array {
    const n = this.count;
    return Float64Array.from(this.sums, (s, i) => Math.max(0, (this.products[i * this.variables + i]! - (s * s) / n) / n));
  }

  /** Which variables are constant (standard deviation at most {@link CONSTANT_TOLERANCE} of the root mean square): r is undefined for them. */
  constantVariables(): boolean[] {
    const v = this.variances();
    return Array.from(v, (x, i) => x <= TOL2 * (this.squares[i]! / this.count));
  }

  /**
   * The correlation matrix, `variables x variables`, row-major, symmetric, 1 on the diagonal;
   * NaN in the rows and columns of constant variables.
   * @throws Error before two observations.
   */
  matrix(): Float64Array {
    const V = this.variables;
    const n = this.count;
    if (n < 2) throw new Error(`CorrelationAccumulator: needs at least two observations, has ${n}`);
    const cov = new Float64Array(V * V);
    const S = this.sums;
    const P = this.products;
    for (let i = 0; i < V; i++) for (let j = i; j < V; j++) cov[i * V + j] = P[i * V + j]! - (S[i]! * S[j]!) / n;
    const constant = this.constantVariables();
    const out = new Float64Array(V * V);
    for (let i = 0; i < V; i++) {
      for (let j = i; j < V; j++) {
        const r = constant[i] || constant[j] ? NaN : i === j ? 1 : clamp(cov[i * V + j]! / Math.sqrt(cov[i * V + i]! * cov[j * V + j]!));
        out[i * V + j] = r;
        out[j * V + i] = r;
      }
    }
    return out;
  }

  /** Every pair's r ({@link pairCorrelations} of the {@link matrix}) and the number of constant variables. */
  pairs(): CorrelationPairs {
    return { values: pairCorrelations(this.matrix(), this.variables), constant: this.constantVariables().filter(Boolean).length };
  }
}

/**
 * The correlation matrix of `variables` variables with `length` observations each, laid out
 * variable-major in `rows` (see {@link CorrelationAccumulator}).
 */
export function correlationMatrix(rows: ArrayLike<number>, variables: number, length: number): Float64Array {
  return new CorrelationAccumulator(variables).add(rows, length).matrix();
}

/** The upper triangle (i < j) of a `size x size` correlation matrix, row by row, without the NaNs of constant variables. */
export function pairCorrelations(matrix: ArrayLike<number>, size: number): Float64Array {
  if (matrix.length !== size * size) throw new RangeError(`pairCorrelations: a ${size} x ${size} matrix has ${size * size} entries, got ${matrix.length}`);
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const r = matrix[i * size + j]!;
      if (!Number.isNaN(r)) out.push(r);
    }
  }
  return Float64Array.from(out);
}
