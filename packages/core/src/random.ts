/**
 * Seeded random numbers that are the same on every platform: xoshiro128** over 32-bit
 * integer arithmetic (Math.imul), seeded through splitmix32. Normals use Box-Muller, whose
 * Math.log/Math.cos agree across V8 builds (fdlibm ports).
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;
  private seed_ = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the stream; the same seed gives the same sequence. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new Error(`Generator.manualSeed: seed must be a finite number, got ${seed}`);
    this.seed_ = seed;
    // Fold a double-sized seed into 32 bits in two halves so large seeds still differ.
    let x = (Math.floor(seed) >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b1);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = null;
    return this;
  }

  /** The seed last given to {@link manualSeed}. */
  initialSeed(): number {
    return this.seed_;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.nextDouble();
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextDouble() * (high - low));
  }

  /** The generator's state, to save in a checkpoint. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spareNormal ?? NaN, this.seed_];
  }

  /**
   * Restores a state from {@link getState}. Every element is checked before anything changes:
   * the four xoshiro words must be 32-bit integers (as getState returns them, signed or
   * unsigned) and not all zero (xoshiro's one fixed point: it would return 0 forever), the
   * spare normal NaN (none) or a finite number, the seed a finite number.
   * @throws Error naming the element and its value; the generator is then unchanged.
   */
  setState(state: readonly number[]): this {
    if (!Array.isArray(state) || state.length !== 6) throw new Error(`Generator.setState: expected the 6 numbers getState() returns, got ${JSON.stringify(state)}`);
    const words = state.slice(0, 4) as unknown[];
    words.forEach((v, i) => {
      if (!Number.isInteger(v) || (v as number) < -0x80000000 || (v as number) > 0xffffffff) {
        throw new Error(`Generator.setState: state[${i}] must be a 32-bit integer (xoshiro128** word), got ${show(v)}`);
      }
    });
    if (words.every((v) => ((v as number) | 0) === 0)) {
      throw new Error('Generator.setState: state[0..3] are all zero, the one state xoshiro128** never leaves (it would return 0 forever)');
    }
    const spare: unknown = state[4];
    if (typeof spare !== 'number' || (!Number.isNaN(spare) && !Number.isFinite(spare))) {
      throw new Error(`Generator.setState: state[4] (the spare normal) must be NaN (none) or a finite number, got ${show(spare)}`);
    }
    const seed: unknown = state[5];
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new Error(`Generator.setState: state[5] (the seed) must be a finite number, got ${show(seed)}`);
    [this.s0, this.s1, this.s2, this.s3] = words.map((v) => (v as number) | 0) as [number, number, number, number];
    this.spareNormal = Number.isNaN(spare) ? null : spare;
    this.seed_ = seed;
    return this;
  }
}

/** A value for an error message: JSON where it can, so null and strings read as such. */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A uniformly random permutation of 0..n-1 as a plain array (Fisher-Yates, from the last element
 * down): what `randperm` and the data loaders' shuffling draw.
 */
export function permutation(n: number, generator: Generator): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`permutation: n must be a non-negative integer, got ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** The generator random ops use when none is given. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
