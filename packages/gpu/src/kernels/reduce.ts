/**
 * Reductions: one thread per output element looping over the reduced elements (literal bounds).
 * Sums add partial sums of at most 256 terms, so float32 rounding grows with the number of
 * blocks rather than with the reduction length.
 */
import type { ArgReduceKernelName, DType, ReduceKernelName, TensorInfo } from '@dynconv/core';
import { coalesce, convertTo, dot, lit, unravel } from '../codegen.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, type GpuBackend } from './common.js';

const BLOCK = 256;

/** Splits a view into kept and reduced dims (each coalesced). */
function split(x: TensorInfo, axes: readonly number[]) {
  const kShape: number[] = [];
  const kStrides: number[] = [];
  const rShape: number[] = [];
  const rStrides: number[] = [];
  x.shape.forEach((d, i) => {
    if (axes.includes(i)) {
      rShape.push(d);
      rStrides.push(x.strides[i]!);
    } else {
      kShape.push(d);
      kStrides.push(x.strides[i]!);
    }
  });
  const kept = coalesce(kShape, [kStrides]);
  const red = coalesce(rShape, [rStrides]);
  return {
    outSize: kShape.reduce((a, b) => a * b, 1),
    count: rShape.reduce((a, b) => a * b, 1),
    kDims: kept.dims,
    kStrides: kept.strides[0]!,
    rDims: red.dims,
    rStrides: red.strides[0]!,
  };
}

/**
 * Nested loops over the reduced dims with literal bounds; the innermost one is cut into blocks
 * of {@link BLOCK} when longer, with `blockEnd` run after each innermost pass.
 */
function reductionLoops(rDims: readonly number[], rStrides: readonly number[], body: (idx: string) => string, blockEnd: string): string {
  const dims = [...rDims];
  const strides = [...rStrides];
  let guard = '';
  const last = dims.length - 1;
  if (last >= 0 && dims[last]! > 2 * BLOCK) {
    const L = dims[last]!;
    const s = strides[last]!;
    dims.splice(last, 1, Math.ceil(L / BLOCK), BLOCK);
    strides.splice(last, 1, s * BLOCK, s);
    if (L % BLOCK !== 0) guard = `j${last} * ${BLOCK} + j${last + 1} < ${L}`;
  }
  const idx = dot('base', 'j', strides);
  let code = guard ? `if (${guard}) {\n${body(idx)}\n}` : body(idx);
  if (dims.length === 0) return `${code}\n${blockEnd}`;
  for (let d = dims.length - 1; d >= 0; d--) {
    code = `for (let j${d} = 0; j${d} < ${dims[d]}; j${d}++) {\n${code}\n}`;
    if (d === dims.length - 1) code = `${code}\n${blockEnd}`;
  }
  return code;
}

export function reduce(b: GpuBackend, name: ReduceKernelName, x: TensorInfo, axes: readonly number[], outDtype: DType): GpuStorage {
  const op = `Reduce ${name}`;
  checkDType(op, outDtype);
  checkDType(op, x.dtype);
  const xs = storageOf(b, x, op);
  const g = split(x, axes);
  if (g.outSize === 0) return b.wrap(outDtype, 0, new Float32Array(0));
  const key = `R${name}|${outDtype}|${g.kDims.join('x')}/${g.kStrides.join(',')}|${g.rDims.join('x')}/${g.rStrides.join(',')}|${xs.size}`;
  const data = b.ctx.launch(op, key, g.outSize, () => {
    const head = `${unravel('this.thread.x', g.kDims, 'c')}\nconst base = ${dot('o', 'c', g.kStrides)};`;
    if (g.count === 0) {
      const empty = { Sum: 0, Prod: 1, Max: -Infinity, Min: Infinity }[name];
      return `function(x, o) {\nreturn ${lit(empty)};\n}`;
    }
    let init: string;
    let step: string;
    let end = '';
    switch (name) {
      case 'Sum':
        init = 'let acc = 0.0;\nlet part = 0.0;';
        step = 'part += v;';
        end = 'acc += part;\npart = 0.0;';
        break;
      case 'Prod':
        init = 'let acc = 1.0;';
        step = 'acc *= v;';
        break;
      case 'Max':
        init = 'let acc = x[base];';
        step = 'if (v > acc || v != v) { acc = v; }';
        break;
      case 'Min':
        init = 'let acc = x[base];';
        step = 'if (v < acc || v != v) { acc = v; }';
        break;
    }
    // Once acc is NaN no comparison changes it, so NaN propagates as on the CPU.
    const loop = reductionLoops(g.rDims, g.rStrides, (idx) => `const v = x[${idx}];\n${step}`, end);
    return `function(x, o) {\n${head}\n${init}\n${loop}\nreturn ${convertTo(outDtype, 'acc')};\n}`;
  }, [xs.data, x.offset]);
  return b.wrap(outDtype, g.outSize, data);
}

export function argReduce(b: GpuBackend, name: ArgReduceKernelName, x: TensorInfo, axis: number): GpuStorage {
  const op = name;
  checkDType(op, x.dtype);
  const xs = storageOf(b, x, op);
  const g = split(x, [axis]);
  const L = x.shape[axis]!;
  const s = x.strides[axis]!;
  if (g.outSize === 0) return b.wrap('int32', 0, new Float32Array(0));
  const key = `${name}|${g.kDims.join('x')}/${g.kStrides.join(',')}|${L}/${s}|${xs.size}`;
  const cmp = name === 'ArgMax' ? '>' : '<';
  const data = b.ctx.launch(op, key, g.outSize, () => `function(x, o) {
${unravel('this.thread.x', g.kDims, 'c')}
const base = ${dot('o', 'c', g.kStrides)};
let best = x[base];
let at = 0.0;
for (let j = 1; j < ${Math.max(L, 1)}; j++) {
  const v = x[base + j * ${lit(s)}];
  if (v ${cmp} best || (v != v && best == best)) { best = v; at = j + 0.0; }
}
return at;
}`, [xs.data, x.offset]);
  const out = b.wrap('int32', g.outSize, data);
  out.range = [0, Math.max(0, L - 1)];
  return out;
}
