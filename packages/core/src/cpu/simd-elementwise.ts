/**
 * WebAssembly SIMD loops for the hottest float32 elementwise kernels (add, sub, mul, div;
 * relu, relu6, neg, abs, sqrt), over storage that lies in the backend's wasm memory
 * (wasm-heap.ts). Four lanes per instruction, no bounds checks, no float64 round trip: several
 * times faster than the compiled JavaScript loop (compiled-loops.ts); the figures (mul, add,
 * relu per element) are in docs/benchmarks.md.
 *
 * Each op is correctly rounded in float32 both ways (a float64 result of one +, -, *, / or
 * sqrt of float32 inputs rounds to the same float32), so results are bit-identical to the
 * JavaScript loops; relu and relu6 are max/min against constants, which keep NaN and turn -0
 * into +0 as the JavaScript versions do. Tests compare both paths.
 *
 * A call covers one run of the loop plan: both operands contiguous along it (stride 1) or
 * one of them repeated (stride 0, e.g. a per-channel bias over an H x W plane). Storage
 * outside wasm memory is copied into scratch space (and the output back) when the job is
 * large enough; anything else (strided runs, other dtypes, small jobs outside wasm memory)
 * returns false and the caller runs its JavaScript loop.
 */
import type { BinaryKernelName, TensorInfo, UnaryKernelName } from '../backend/backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import { type HeapKernels, HeapModule } from './heap-module.js';
import { loopPlan } from './loop-plan.js';
import { dataOf } from './storage.js';

/** Binary ops: SIMD and scalar opcodes. */
const BINARY_OPS: Partial<Record<BinaryKernelName, readonly [number, number]>> = {
  Add: [0xe4, 0x92],
  Sub: [0xe5, 0x93],
  Mul: [0xe6, 0x94],
  Div: [0xe7, 0x95],
};

/** Unary ops as a sequence of steps on the value: an opcode pair, or max/min against a constant. */
type Step = { op: readonly [number, number] } | { max: number } | { min: number };
const UNARY_OPS: Partial<Record<UnaryKernelName, readonly Step[]>> = {
  Relu: [{ max: 0 }],
  Relu6: [{ max: 0 }, { min: 6 }],
  Neg: [{ op: [0xe1, 0x8c] }],
  Abs: [{ op: [0xe0, 0x8b] }],
  Sqrt: [{ op: [0xe3, 0x91] }],
};

const F32X4_MAX = 0xe9;
const F32X4_MIN = 0xe8;
const F32_MAX = 0x97;
const F32_MIN = 0x96;
const F32_ADD = 0x92;
const F32_MUL = 0x94;

/** How the two operands move along a run: both (vv), only a (vs: b repeated), only b (sv). */
type Mode = 'vv' | 'vs' | 'sv';
type BinaryFn = (o: number, a: number, b: number, n: number) => void;
type UnaryFn = (o: number, x: number, n: number) => void;

const { i32, f32, v128 } = ValType;

/**
 * The loop every function here shares: while at least four elements remain (local `n`),
 * `body(true)` on four lanes, then `body(false)` one element at a time; after each, the byte
 * pointers in `ptrs` advance by what was done (16 or 4 bytes).
 */
function lanesThenTail(c: Code, n: number, ptrs: readonly number[], body: (vector: boolean) => void): void {
  for (const vector of [true, false]) {
    c.block().loop();
    if (vector) c.localGet(n).i32Const(4).i32LtU().brIf(1);
    else c.localGet(n).i32Eqz().brIf(1);
    body(vector);
    for (const k of ptrs) c.localGet(k).i32Const(vector ? 16 : 4).i32Add().localSet(k);
    c.localGet(n).i32Const(vector ? 4 : 1).i32Sub().localSet(n).br(0).end().end();
  }
}

/** Splats each step's constant (0 for an opcode step) into v128 locals from `at` on. */
function splatConstants(c: Code, steps: readonly Step[], at: number): void {
  steps.forEach((s, i) => c.f32Const('max' in s ? s.max : 'min' in s ? s.min : 0).f32x4Splat().localSet(at + i));
}

/** Applies `steps` to the value on the stack: lanes (constants in the locals from `at`) or one f32. */
function applySteps(c: Code, steps: readonly Step[], at: number, vector: boolean): void {
  steps.forEach((s, i) => {
    if ('op' in s) {
      if (vector) c.f32x4Op(s.op[0]);
      else c.f32Op(s.op[1]);
      return;
    }
    const isMax = 'max' in s;
    if (vector) c.localGet(at + i).f32x4Op(isMax ? F32X4_MAX : F32X4_MIN);
    else c.f32Const(isMax ? s.max : s.min).f32Op(isMax ? F32_MAX : F32_MIN);
  });
}

/**
 * `fn(o, a, b, n)`: o[i] = a[i] op b[i] for n elements at byte addresses o, a, b; in mode vs
 * b[0] is used for every i (sv: a[0]).
 */
function binaryFunction(name: string, [vop, sop]: readonly [number, number], mode: Mode): WasmFunction {
  const [O, A, B, N, S] = [0, 1, 2, 3, 4];
  const c = new Code();
  if (mode === 'vs') c.localGet(B).v128Load32Splat().localSet(S);
  if (mode === 'sv') c.localGet(A).v128Load32Splat().localSet(S);
  const moving = [O, ...(mode === 'sv' ? [] : [A]), ...(mode === 'vs' ? [] : [B])];
  lanesThenTail(c, N, moving, (vector) => {
    c.localGet(O);
    if (!vector) c.localGet(A).f32Load().localGet(B).f32Load().f32Op(sop);
    else {
      if (mode === 'sv') c.localGet(S);
      else c.localGet(A).v128Load();
      if (mode === 'vs') c.localGet(S);
      else c.localGet(B).v128Load();
      c.f32x4Op(vop);
    }
    if (vector) c.v128Store();
    else c.f32Store();
  });
  return { params: [i32, i32, i32, i32], results: [], locals: [v128], body: c, exportName: `${name}_${mode}` };
}

/** `fn(o, x, n)`: o[i] = f(x[i]) for n elements, f given as steps. */
function unaryFunction(name: string, steps: readonly Step[]): WasmFunction {
  const [O, X, N, K] = [0, 1, 2, 3];
  const c = new Code();
  splatConstants(c, steps, K);
  lanesThenTail(c, N, [O, X], (vector) => {
    c.localGet(O).localGet(X);
    if (vector) c.v128Load();
    else c.f32Load();
    applySteps(c, steps, K, vector);
    if (vector) c.v128Store();
    else c.f32Store();
  });
  return { params: [i32, i32, i32], results: [], locals: steps.map(() => v128), body: c, exportName: name };
}

/** Activations that may follow a per-channel affine map (the ChannelAffine kernel). */
export type AffineActivation = 'none' | 'relu' | 'relu6';
const AFFINE_STEPS: Record<AffineActivation, readonly Step[]> = { none: [], relu: [{ max: 0 }], relu6: [{ max: 0 }, { min: 6 }] };

/**
 * `fn(o, x, a, b, n)`: o[i] = act(round32(x[i] * a) + b) for n elements, a and b f32 scalars.
 * The product is rounded to float32 before the sum, as the JavaScript loop does too, so the
 * two agree bit for bit (no fused multiply-add).
 */
function affineFunction(act: AffineActivation): WasmFunction {
  const [O, X, A, B, N, VA, VB, K] = [0, 1, 2, 3, 4, 5, 6, 7];
  const steps = AFFINE_STEPS[act];
  const c = new Code();
  c.localGet(A).f32x4Splat().localSet(VA).localGet(B).f32x4Splat().localSet(VB);
  splatConstants(c, steps, K);
  lanesThenTail(c, N, [O, X], (vector) => {
    c.localGet(O).localGet(X);
    if (vector) c.v128Load().localGet(VA).f32x4Mul().localGet(VB).f32x4Add();
    else c.f32Load().localGet(A).f32Op(F32_MUL).localGet(B).f32Op(F32_ADD);
    applySteps(c, steps, K, vector);
    if (vector) c.v128Store();
    else c.f32Store();
  });
  return { params: [i32, i32, f32, f32, i32], results: [], locals: [v128, v128, ...steps.map(() => v128)], body: c, exportName: `Affine_${act}` };
}

const elementwise = new HeapModule(() => {
  const functions: WasmFunction[] = [];
  for (const act of ['none', 'relu', 'relu6'] as const) functions.push(affineFunction(act));
  for (const [name, ops] of Object.entries(BINARY_OPS)) for (const mode of ['vv', 'vs', 'sv'] as const) functions.push(binaryFunction(name, ops!, mode));
  for (const [name, steps] of Object.entries(UNARY_OPS)) functions.push(unaryFunction(name, steps!));
  return functions;
});
type Kernels = HeapKernels<(...args: number[]) => unknown>;

/**
 * Turns the SIMD loops on or off (they are on where WebAssembly SIMD exists); off, the
 * JavaScript loops run. Returns the old setting. Tests compare the two paths.
 */
export const setSimdElementwise = (on: boolean): boolean => elementwise.setEnabled(on);

/** The compiled kernels, or null where the heap holds no tensors, SIMD is missing or they are off. */
const simdKernels = (): Kernels | null => elementwise.get();

/** Runs shorter than this are not worth staging: the JavaScript loop takes them. */
const MIN_STAGED = 2048;

/**
 * Where the kernels find an array: `base` is the byte address its element 0 would have, so
 * element i is at base + 4i. Arrays in wasm memory are used where they are; others (tensors
 * made outside `tidy`, see buffer-pool.ts) are staged into scratch space when the job is
 * large enough to pay for the copy, covering offsets [lo, hi).
 */
interface Placed {
  arr: Float32Array;
  base: number;
  lo: number;
  hi: number;
  staged: boolean;
}

function placeAll(k: Kernels, arrs: Float32Array[], spans: [number, number][], n: number): Placed[] | null {
  const placed: Placed[] = [];
  let scratch = 0;
  for (let i = 0; i < arrs.length; i++) {
    const at = k.heap.addressOf(arrs[i]!);
    const [lo, hi] = spans[i]!;
    if (at >= 0) placed.push({ arr: arrs[i]!, base: at, lo, hi, staged: false });
    else if (n >= MIN_STAGED && hi - lo <= 2 * n) {
      placed.push({ arr: arrs[i]!, base: scratch - 4 * lo, lo, hi, staged: true }); // relative for now
      scratch += Math.ceil(((hi - lo) * 4) / 64) * 64;
    } else return null;
  }
  if (scratch > 0) {
    const at = k.heap.scratch(scratch);
    for (const p of placed) if (p.staged) p.base += at;
  }
  return placed;
}

/** Copies staged inputs in (all but the first entry, the output). */
function stageIn(k: Kernels, placed: Placed[]): void {
  const heap = k.heap.heapF32;
  for (let i = 1; i < placed.length; i++) {
    const p = placed[i]!;
    if (p.staged) heap.set(p.arr.subarray(p.lo, p.hi), p.base / 4 + p.lo);
  }
}

/** Copies a staged output back. */
function stageOut(k: Kernels, o: Placed): void {
  if (o.staged) o.arr.set(k.heap.heapF32.subarray(o.base / 4 + o.lo, o.base / 4 + o.hi), o.lo);
}

/** Offsets [lo, hi) a run plan touches: runs of `inner` elements stepping by `stride` from each offset. */
function spanOf(offsets: Int32Array, inner: number, stride: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < offsets.length; r++) {
    const o = offsets[r]!;
    if (o < lo) lo = o;
    if (o > hi) hi = o;
  }
  return offsets.length === 0 ? [0, 0] : [lo, hi + (inner - 1) * stride + 1];
}

/**
 * out = a op b over the broadcast shape of `a` (same-shaped views, as the Binary kernel gets
 * them) with the SIMD loops, when every piece is float32 and each run is contiguous or
 * repeated. Returns false, writing nothing, otherwise.
 */
export function simdBinary(name: BinaryKernelName, out: TypedArray, outDtype: DType, a: TensorInfo, b: TensorInfo): boolean {
  if (!BINARY_OPS[name] || outDtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  const k = simdKernels();
  if (k === null) return false;
  const { outer, inner, strides } = loopPlan(a.shape, [a, b]);
  const [sa, sb] = strides as [number, number];
  const mode: Mode | null = sa === 1 && sb === 1 ? 'vv' : sa === 1 && sb === 0 ? 'vs' : sa === 0 && sb === 1 ? 'sv' : inner === 1 ? 'vv' : null;
  if (mode === null) return false;
  const [ao, bo] = outer as [Int32Array, Int32Array];
  const n = ao.length * inner;
  const placed = placeAll(k, [out as Float32Array, dataOf(a) as Float32Array, dataOf(b) as Float32Array], [[0, n], spanOf(ao, inner, sa), spanOf(bo, inner, sb)], n);
  if (placed === null) return false;
  stageIn(k, placed);
  const [o, pa, pb] = placed as [Placed, Placed, Placed];
  const fn = k.fns[`${name}_${mode}`] as BinaryFn;
  for (let r = 0; r < ao.length; r++) fn(o.base + r * inner * 4, pa.base + ao[r]! * 4, pb.base + bo[r]! * 4, inner);
  stageOut(k, o);
  return true;
}

/** out = f(x) with the SIMD loops, under the same conditions as {@link simdBinary}. */
export function simdUnary(name: UnaryKernelName, out: TypedArray, outDtype: DType, x: TensorInfo): boolean {
  if (!UNARY_OPS[name] || outDtype !== 'float32' || x.dtype !== 'float32') return false;
  const k = simdKernels();
  if (k === null) return false;
  const { outer, inner, strides } = loopPlan(x.shape, [x]);
  if (strides[0] !== 1 && inner !== 1) return false;
  const xo = outer[0]!;
  const n = xo.length * inner;
  const placed = placeAll(k, [out as Float32Array, dataOf(x) as Float32Array], [[0, n], spanOf(xo, inner, 1)], n);
  if (placed === null) return false;
  stageIn(k, placed);
  const [o, px] = placed as [Placed, Placed];
  const fn = k.fns[name] as UnaryFn;
  for (let r = 0; r < xo.length; r++) fn(o.base + r * inner * 4, px.base + xo[r]! * 4, inner);
  stageOut(k, o);
  return true;
}

/**
 * y[n, c, s] = act(x[n, c, s] * scale[c] + shift[c]) over dense [N, C, S] arrays, both in wasm
 * memory (scale null: 1). Returns false, writing nothing, when the SIMD loops cannot run.
 */
export function simdChannelAffine(y: Float32Array, x: Float32Array, scale: ArrayLike<number> | null, shift: ArrayLike<number>, N: number, C: number, S: number, act: AffineActivation): boolean {
  const k = simdKernels();
  if (k === null) return false;
  const o = k.heap.addressOf(y);
  const xAt = k.heap.addressOf(x);
  if (o < 0 || xAt < 0) return false;
  const fn = k.fns[`Affine_${act}`] as (o: number, x: number, a: number, b: number, n: number) => void;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const at = (n * C + c) * S * 4;
      fn(o + at, xAt + at, scale ? scale[c]! : 1, shift[c]!, S);
    }
  }
  return true;
}
