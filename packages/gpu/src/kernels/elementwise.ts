/**
 * Elementwise kernels: Unary, Binary, Where, Copy, Assign. Functions JavaScript's Math has but
 * GLSL lacks (tanh, log1p, expm1, erf, sign, round half-even, pow of negative bases) are written
 * out with exp/log, accurate to float32 tolerance, so every mode computes the same thing.
 */
import { type BinaryKernelName, type DType, isContiguous, type TensorInfo, type UnaryKernelName } from '@dynconv/core';
import { coalesce, dot, lit, unravel } from '../codegen.js';
import type { DeviceData } from '../context.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, elementwise, type GpuBackend } from './common.js';

/** Lines defining `out` from the input `x`. */
const UNARY: Record<UnaryKernelName, (x: string) => string> = {
  Neg: (x) => `const out = -${x};`,
  Exp: (x) => `const out = Math.exp(${x});`,
  Log: (x) => `const out = Math.log(${x});`,
  Sqrt: (x) => `const out = Math.sqrt(${x});`,
  Rsqrt: (x) => `const out = 1.0 / Math.sqrt(${x});`,
  Abs: (x) => `const out = Math.abs(${x});`,
  Sin: (x) => `const out = Math.sin(${x});`,
  Cos: (x) => `const out = Math.cos(${x});`,
  Tanh: (x) => `const ax = Math.abs(${x});
const x2 = ${x} * ${x};
const tp = ${x} * (1.0 - x2 * (0.3333333333 - x2 * (0.1333333333 - x2 * 0.0539682540)));
const te = Math.exp(-2.0 * ax);
const tl = (1.0 - te) / (1.0 + te);
const out = ax < 0.1 ? tp : (${x} < 0.0 ? -tl : tl);`,
  Sigmoid: (x) => `const se = Math.exp(-Math.abs(${x}));
const out = ${x} >= 0.0 ? 1.0 / (1.0 + se) : se / (1.0 + se);`,
  // NaN passes through: a GLSL compiler may turn the bare selects into max/min, which drop NaN.
  Relu: (x) => `const out = ${x} != ${x} ? ${x} : (${x} < 0.0 ? 0.0 : ${x});`,
  Relu6: (x) => `const out = ${x} != ${x} ? ${x} : (${x} < 0.0 ? 0.0 : (${x} > 6.0 ? 6.0 : ${x}));`,
  Sign: (x) => `const out = ${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : ${x});`,
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), a Taylor series near 0 for relative accuracy.
  Erf: (x) => `const ax = Math.abs(${x});
const x2 = ${x} * ${x};
const es = 1.1283791671 * ${x} * (1.0 - x2 * (0.3333333333 - x2 * (0.1 - x2 * 0.0238095238)));
const et = 1.0 / (1.0 + 0.3275911 * ax);
const ep = ((((1.061405429 * et - 1.453152027) * et + 1.421413741) * et - 0.284496736) * et + 0.254829592) * et;
const ea = 1.0 - ep * Math.exp(-x2);
const out = ax < 0.1 ? es : (${x} < 0.0 ? -ea : ea);`,
  // Kahan's tricks: exact near 0, without a native log1p/expm1. Where 1 + x rounds to x (large x,
  // +Infinity) the correction factor is 1: taken directly, since Infinity / Infinity is NaN.
  Log1p: (x) => `const u = 1.0 + ${x};
const um = u - 1.0;
const out = um == 0.0 ? ${x} : (um == ${x} ? Math.log(u) : Math.log(u) * (${x} / um));`,
  Expm1: (x) => `const u = Math.exp(${x});
const um = u - 1.0;
const lu = Math.log(u);
const out = Math.abs(${x}) > 0.5 ? um : (um == 0.0 ? ${x} : um * (${x} / lu));`,
  Reciprocal: (x) => `const out = 1.0 / ${x};`,
  Floor: (x) => `const out = Math.floor(${x});`,
  Ceil: (x) => `const out = Math.ceil(${x});`,
  Round: (x) => `const rf = Math.floor(${x});
const rd = ${x} - rf;
const out = rd > 0.5 ? rf + 1.0 : (rd < 0.5 ? rf : (Math.floor(rf * 0.5) * 2.0 == rf ? rf : rf + 1.0));`,
};

/**
 * Lines defining `out` as a^b. pow of a negative base is defined for integer exponents only
 * (GLSL's pow is not defined there), and for -Infinity, as |a|^b; NaN in, NaN out (GLSL's pow
 * need not propagate it), except x^0 = 1.
 */
function powLines(a: string, b: string, out: string): string {
  return `const pa = Math.abs(${a});
const pp = Math.pow(pa + (pa == 0.0 ? 1.0 : 0.0), ${b});
const pz = ${b} > 0.0 ? 0.0 : (1.0 / 0.0);
const pi = Math.floor(${b}) == ${b} ? 1.0 : 0.0;
const po = Math.floor(${b} * 0.5) * 2.0 != ${b} ? 1.0 : 0.0;
const pn = pi > 0.5 ? (po > 0.5 ? -pp : pp) : (pa == (1.0 / 0.0) ? pp : (0.0 / 0.0));
const pnan = ${a} != ${a} || ${b} != ${b} ? 1.0 : 0.0;
const ${out} = ${b} == 0.0 ? 1.0 : (pnan > 0.5 ? (0.0 / 0.0) : (pa == 0.0 ? pz : (${a} < 0.0 ? pn : pp)));`;
}

/** int32 a^b: a power of integers with b >= 0 is an integer, and GLSL's pow (exp2(b log2 a)) can land just below it. */
const intPow = (a: string, b: string) => `${powLines(a, b, 'pw')}
const out = ${b} >= 0.0 ? Math.floor(pw + 0.5) : pw;`;

const BINARY: Record<BinaryKernelName, (a: string, b: string) => string> = {
  Add: (a, b) => `const out = ${a} + ${b};`,
  Sub: (a, b) => `const out = ${a} - ${b};`,
  Mul: (a, b) => `const out = ${a} * ${b};`,
  Div: (a, b) => `const out = ${a} / ${b};`,
  Pow: (a, b) => powLines(a, b, 'out'),
  Maximum: (a, b) => `const out = ${a} != ${a} ? ${a} : (${b} != ${b} ? ${b} : (${a} > ${b} ? ${a} : ${b}));`,
  Minimum: (a, b) => `const out = ${a} != ${a} ? ${a} : (${b} != ${b} ? ${b} : (${a} < ${b} ? ${a} : ${b}));`,
  Eq: (a, b) => `const out = ${a} == ${b} ? 1.0 : 0.0;`,
  Ne: (a, b) => `const out = ${a} != ${b} ? 1.0 : 0.0;`,
  Gt: (a, b) => `const out = ${a} > ${b} ? 1.0 : 0.0;`,
  Ge: (a, b) => `const out = ${a} >= ${b} ? 1.0 : 0.0;`,
  Lt: (a, b) => `const out = ${a} < ${b} ? 1.0 : 0.0;`,
  Le: (a, b) => `const out = ${a} <= ${b} ? 1.0 : 0.0;`,
};

export function unary(b: GpuBackend, name: UnaryKernelName, x: TensorInfo, outDtype: DType): GpuStorage {
  return elementwise(b, `Unary ${name}`, `U${name}`, [x], outDtype, ([v]) => UNARY[name](v!));
}

export function binary(b: GpuBackend, name: BinaryKernelName, x: TensorInfo, y: TensorInfo, outDtype: DType): GpuStorage {
  return elementwise(b, `Binary ${name}`, `B${name}`, [x, y], outDtype, ([u, v]) => (name === 'Pow' && outDtype === 'int32' ? intPow : BINARY[name])(u!, v!));
}

export function where(b: GpuBackend, cond: TensorInfo, x: TensorInfo, y: TensorInfo, outDtype: DType): GpuStorage {
  return elementwise(b, 'Where', 'W', [cond, x, y], outDtype, ([c, u, v]) => `const out = ${c} != 0.0 ? ${u} : ${v};`);
}

export function copy(b: GpuBackend, x: TensorInfo, outDtype: DType): GpuStorage {
  return elementwise(b, 'Copy', 'C', [x], outDtype, ([v]) => `const out = ${v};`);
}

export function fill(b: GpuBackend, size: number, value: number, dtype: DType): GpuStorage {
  checkDType('Fill', dtype);
  const v = dtype === 'bool' ? (value !== 0 ? 1 : 0) : dtype === 'int32' ? Math.trunc(value) | 0 : Math.fround(value);
  if (size === 0) return b.wrap(dtype, 0, new Float32Array(0));
  const s = b.wrap(dtype, size, b.ctx.fill(size, v));
  if (dtype !== 'float32') s.range = [v, v];
  return s;
}

/**
 * Storage-order walk of a view: the view's dims sorted by decreasing stride. A view made by our
 * ops (permute, slice with steps, select, reshape) never overlaps itself, so each storage
 * element belongs to at most one view position, found by successive division.
 */
function invertible(shape: readonly number[], strides: readonly number[]): number[] | null {
  const order = shape.map((_, i) => i).filter((i) => shape[i]! > 1).sort((p, q) => strides[q]! - strides[p]!);
  // Each stride must exceed the whole extent of the faster dims, so the greedy split is unique.
  let extent = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    const d = order[k]!;
    if (strides[d]! <= extent) return null;
    extent += strides[d]! * (shape[d]! - 1);
  }
  return order;
}

/**
 * Writes `src` into the view `dst` in place. The device cannot scatter, so a new texture for the
 * whole storage is computed (each storage element either keeps its value or takes the one src
 * puts there) and replaces the old one.
 */
export function assign(b: GpuBackend, dst: TensorInfo, src: TensorInfo): boolean {
  checkDType('Assign', dst.dtype);
  const ds = storageOf(b, dst, 'Assign');
  const ss = storageOf(b, src, 'Assign');
  const S = ds.size;
  const n = dst.shape.reduce((p, q) => p * q, 1);
  if (n === 0 || S === 0) return true;
  const order = invertible(dst.shape, dst.strides);
  if (!order) return false; // the caller falls back to the CPU
  const conv = (v: string) => (dst.dtype === 'int32' ? `(${v} < 0.0 ? Math.ceil(${v}) : Math.floor(${v}))` : dst.dtype === 'bool' ? `(${v} != 0.0 ? 1.0 : 0.0)` : v);
  // Whole storage, row-major: a plain (converted) copy of src.
  const whole = dst.offset === 0 && n === S && isContiguous(dst.shape, dst.strides);
  let data: DeviceData;
  if (whole) {
    const { dims, strides } = coalesce(src.shape, [src.strides]);
    const key = `Aw|${dst.dtype}|${dims.join('x')}|${strides[0]!.join(',')}|${ss.size}`;
    data = b.ctx.launch('Assign', key, S, () => `function(x, o) {
${unravel('this.thread.x', dims, 'c')}
const v = x[${dot('o', 'c', strides[0]!)}];
return ${conv('v')};
}`, [ss.data, src.offset]);
  } else {
    const nd = order.length;
    const key = `Ag|${dst.dtype}|${dst.shape.join('x')}/${dst.strides.join(',')}|${src.shape.join('x')}/${src.strides.join(',')}|${S}|${ss.size}`;
    data = b.ctx.launch('Assign', key, S, () => {
      const lines: string[] = ['const e = this.thread.x;', 'const r0 = e - od;'];
      // Successive division by decreasing strides; `ok` tracks whether e lies on the view.
      lines.push('let ok = r0 >= 0.0 ? 1.0 : 0.0;');
      for (let k = 0; k < nd; k++) {
        const d = order[k]!;
        const st = lit(dst.strides[d]!);
        lines.push(`const q${k}a = Math.floor((r${k} + 0.5) / ${st});`);
        lines.push(`const q${k}r = r${k} - q${k}a * ${st};`);
        lines.push(`const c${d} = q${k}r < 0.0 ? q${k}a - 1.0 : (q${k}r >= ${st} ? q${k}a + 1.0 : q${k}a);`);
        lines.push(`const r${k + 1} = r${k} - c${d} * ${st};`);
        lines.push(`if (c${d} < 0.0 || c${d} >= ${lit(dst.shape[d]!)}) { ok = 0.0; }`);
      }
      lines.push(`if (r${nd} != 0.0) { ok = 0.0; }`);
      // Size-1 dims have coordinate 0.
      dst.shape.forEach((s, d) => {
        if (s <= 1 && !order.includes(d)) lines.push(`const c${d} = 0.0;`);
      });
      const srcIdx = dot('os', 'c', src.strides.map((s, d) => (dst.shape[d]! <= 1 ? 0 : s)));
      // Reading src is only valid on the view: clamp the index elsewhere.
      lines.push(`const si = ok > 0.5 ? ${srcIdx} : os;`);
      lines.push('const sv = xs[si];');
      lines.push('const dv = xd[e];');
      lines.push(`return ok > 0.5 ? ${conv('sv')} : dv;`);
      return `function(xd, od, xs, os) {\n${lines.join('\n')}\n}`;
    }, [ds.data, dst.offset, ss.data, src.offset]);
  }
  ds.replace(data);
  return true;
}

