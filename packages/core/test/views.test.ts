/**
 * Property tests of the view ops. Each op is described once (how to generate its arguments
 * for a shape, the output shape, and which input element every output element reads); the
 * same description drives a forward check against that index map, gradcheck and
 * gradgradcheck through generated layouts, and an aliasing check that writes through the
 * view into its base's storage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arange,
  clone,
  contiguous,
  expand,
  flatten,
  grad,
  narrow,
  permute,
  reshape,
  runKernel,
  select,
  slice,
  squeeze,
  t,
  tensor,
  Tensor,
  transpose,
  unsqueeze,
  view,
} from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs, shapeArb, type ShapeOptions, unravel } from '@dynconv/testing';

const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((f, k, d) => f * shape[d]! + k, 0);
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** One generated application of a view op to a tensor of a known shape. */
interface ViewCase {
  label: string;
  outShape: number[];
  apply: (x: Tensor) => Tensor;
  /** The input multi-index that output multi-index `o` reads. */
  src: (o: number[]) => number[];
  /** The result may share elements between output positions (stride 0). */
  broadcasts?: boolean;
}

interface Spec {
  name: string;
  shapes?: ShapeOptions;
  cases: (shape: number[]) => fc.Arbitrary<ViewCase>;
  /** `view` may legitimately refuse a layout. */
  mayRefuse?: boolean;
  /** Built on reshape: copies a layout that no view can express. */
  mayCopy?: boolean;
}

/** Output index -> input index for ops that keep the row-major order of elements. */
const sameOrder = (shape: readonly number[], outShape: readonly number[]) => (o: number[]) => unravel(ravel(o, outShape), shape);

/** A target shape with the same number of elements (as a random factorisation), maybe with one -1. */
function reshapeTargetArb(shape: readonly number[]): fc.Arbitrary<{ target: number[]; resolved: number[] }> {
  const n = numel(shape);
  const primes: number[] = [];
  for (let m = n, p = 2; m > 1; ) {
    if (m % p === 0) {
      primes.push(p);
      m /= p;
    } else p++;
  }
  return fc.integer({ min: primes.length ? 1 : 0, max: 4 }).chain((bins) =>
    fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: Math.max(0, bins - 1) }), { minLength: primes.length, maxLength: primes.length }),
        fc.option(fc.integer({ min: 0, max: Math.max(0, bins - 1) }), { nil: undefined }),
      )
      .map(([where, free]) => {
        const resolved = new Array<number>(bins).fill(1);
        primes.forEach((p, i) => (resolved[where[i]!]! *= p));
        const target = resolved.map((d, i) => (i === free ? -1 : d));
        return { target, resolved };
      }),
  );
}

const dimArb = (nd: number) => fc.integer({ min: -Math.max(nd, 1), max: Math.max(nd, 1) - 1 });
const norm = (d: number, nd: number) => (d < 0 ? d + Math.max(nd, 1) : d);

const specs: Spec[] = [
  {
    name: 'reshape',
    mayCopy: true,
    cases: (shape) =>
      reshapeTargetArb(shape).map(({ target, resolved }) => ({
        label: `reshape(${JSON.stringify(target)})`,
        outShape: resolved,
        apply: (x) => (target.length % 2 ? reshape(x, target) : x.reshape(target)),
        src: sameOrder(shape, resolved),
      })),
  },
  {
    name: 'view',
    mayRefuse: true,
    cases: (shape) =>
      reshapeTargetArb(shape).map(({ target, resolved }) => ({
        label: `view(${JSON.stringify(target)})`,
        outShape: resolved,
        apply: (x) => (target.length % 2 ? view(x, target) : x.view(target)),
        src: sameOrder(shape, resolved),
      })),
  },
  {
    name: 'permute',
    cases: (shape) =>
      fc
        .tuple(fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
        .map(([perm, neg]) => {
          const dims = perm.map((p, i) => (neg[i] ? p - shape.length : p));
          return {
            label: `permute(${JSON.stringify(dims)})`,
            outShape: perm.map((p) => shape[p]!),
            apply: (x) => (neg[0] ? permute(x, dims) : x.permute(dims)),
            src: (o) => {
              const i = new Array<number>(shape.length);
              perm.forEach((p, k) => (i[p] = o[k]!));
              return i;
            },
          };
        }),
  },
  {
    name: 'transpose',
    cases: (shape) =>
      fc.tuple(dimArb(shape.length), dimArb(shape.length), fc.boolean()).map(([a, b, method]) => {
        const [p, q] = [norm(a, shape.length), norm(b, shape.length)];
        const swap = (s: readonly number[]) => s.map((v, i) => (i === p ? s[q]! : i === q ? s[p]! : v));
        return { label: `transpose(${a}, ${b})`, outShape: swap(shape), apply: (x) => (method ? x.transpose(a, b) : transpose(x, a, b)), src: swap };
      }),
  },
  {
    name: 't',
    shapes: { maxDims: 2 },
    cases: (shape) =>
      fc.boolean().map((method) => ({
        label: 't()',
        outShape: [...shape].reverse(),
        apply: (x) => (method ? x.t() : t(x)),
        src: (o) => [...o].reverse(),
      })),
  },
  {
    name: 'expand',
    cases: (shape) =>
      fc
        .tuple(
          fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
          fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.boolean()), { minLength: shape.length, maxLength: shape.length }),
        )
        .map(([lead, per]) => {
          const sizes = shape.map((d, i) => (d === 1 ? per[i]![0] : d));
          // -1 keeps a dim's size.
          const target = [...lead, ...sizes.map((d, i) => (per[i]![1] && d === shape[i] ? -1 : d))];
          const outShape = [...lead, ...sizes];
          return {
            label: `expand(${JSON.stringify(target)})`,
            outShape,
            apply: (x) => (lead.length ? expand(x, target) : x.expand(target)),
            src: (o) => o.slice(lead.length).map((k, i) => (shape[i] === 1 ? 0 : k)),
            broadcasts: true,
          };
        }),
  },
  {
    name: 'narrow',
    shapes: { minDims: 1 },
    cases: (shape) =>
      dimArb(shape.length).chain((dim) => {
        const size = shape[norm(dim, shape.length)]!;
        return fc.integer({ min: 0, max: size }).chain((s) =>
          fc.tuple(fc.integer({ min: 0, max: size - s }), fc.boolean()).map(([len, negStart]) => {
            const d = norm(dim, shape.length);
            const start = negStart && s < size ? s - size : s;
            return {
              label: `narrow(${dim}, ${start}, ${len})`,
              outShape: shape.map((v, i) => (i === d ? len : v)),
              apply: (x) => (negStart ? narrow(x, dim, start, len) : x.narrow(dim, start, len)),
              src: (o) => o.map((k, i) => (i === d ? k + s : k)),
            };
          }),
        );
      }),
  },
  {
    name: 'slice',
    shapes: { minDims: 1 },
    cases: (shape) =>
      dimArb(shape.length).chain((dim) => {
        const size = shape[norm(dim, shape.length)]!;
        const bound = fc.option(fc.integer({ min: -size - 2, max: size + 2 }), { nil: undefined });
        return fc.tuple(bound, bound, fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined })).map(([start, end, step]) => {
          const d = norm(dim, shape.length);
          // Python's rule for a positive step: negative bounds count from the end, then clamp.
          const py = (i: number) => (i < 0 ? Math.max(0, i + size) : Math.min(i, size));
          const s = py(start ?? 0);
          const e = py(end ?? size);
          const picked: number[] = [];
          for (let i = s; i < e; i += step ?? 1) picked.push(i);
          return {
            label: `slice(${dim}, ${start}, ${end}, ${step})`,
            outShape: shape.map((v, i) => (i === d ? picked.length : v)),
            apply: (x) => (step === 2 ? slice(x, dim, start, end, step) : x.slice(dim, start, end, step)),
            src: (o) => o.map((k, i) => (i === d ? picked[k]! : k)),
          };
        });
      }),
  },
  {
    name: 'select',
    shapes: { minDims: 1 },
    cases: (shape) =>
      dimArb(shape.length).chain((dim) => {
        const d = norm(dim, shape.length);
        return fc.integer({ min: -shape[d]!, max: shape[d]! - 1 }).map((index) => ({
          label: `select(${dim}, ${index})`,
          outShape: shape.filter((_, i) => i !== d),
          apply: (x) => (index < 0 ? select(x, dim, index) : x.select(dim, index)),
          src: (o) => [...o.slice(0, d), index < 0 ? index + shape[d]! : index, ...o.slice(d)],
        }));
      }),
  },
  {
    name: 'squeeze',
    shapes: { maxSize: 2 },
    cases: (shape) => {
      const nd = shape.length;
      const list = fc
        .shuffledSubarray([...Array(Math.max(nd, 1)).keys()], { minLength: 1 })
        .map((ds) => ds.map((d) => (d % 2 ? d - Math.max(nd, 1) : d)));
      return fc.oneof(fc.constant(undefined), dimArb(nd), list).map((dim) => {
        const named = dim === undefined ? [...shape.keys()] : (typeof dim === 'number' ? [dim] : dim).map((d) => norm(d, nd));
        const outShape = shape.filter((s, i) => !(s === 1 && named.includes(i)));
        return {
          label: `squeeze(${JSON.stringify(dim)})`,
          outShape,
          apply: (x) => (dim === undefined ? x.squeeze() : squeeze(x, dim)),
          src: sameOrder(shape, outShape),
        };
      });
    },
  },
  {
    name: 'unsqueeze',
    cases: (shape) =>
      fc.integer({ min: -shape.length - 1, max: shape.length }).map((dim) => {
        const d = dim < 0 ? dim + shape.length + 1 : dim;
        const outShape = [...shape.slice(0, d), 1, ...shape.slice(d)];
        return { label: `unsqueeze(${dim})`, outShape, apply: (x) => (dim < 0 ? unsqueeze(x, dim) : x.unsqueeze(dim)), src: sameOrder(shape, outShape) };
      }),
  },
  {
    name: 'flatten',
    mayCopy: true,
    cases: (shape) => {
      const nd = shape.length;
      if (nd === 0) return fc.constant({ label: 'flatten()', outShape: [1], apply: (x: Tensor) => flatten(x), src: () => [] });
      return fc.tuple(fc.integer({ min: 0, max: nd - 1 }), fc.integer({ min: 0, max: nd - 1 }), fc.boolean()).map(([a, b, neg]) => {
        const [s, e] = [Math.min(a, b), Math.max(a, b)];
        const [sa, ea] = neg ? [s - nd, e - nd] : [s, e];
        const outShape = [...shape.slice(0, s), numel(shape.slice(s, e + 1)), ...shape.slice(e + 1)];
        return { label: `flatten(${sa}, ${ea})`, outShape, apply: (x: Tensor) => (neg ? flatten(x, sa, ea) : x.flatten(sa, ea)), src: sameOrder(shape, outShape) };
      });
    },
  },
];

function caseArb(spec: Spec, opts: ShapeOptions = {}) {
  return shapeArb({ ...opts, ...spec.shapes }).chain((shape) => fc.tuple(fc.constant(shape), spec.cases(shape)));
}

/** The values of `y` that the index map says it should hold, read from `x`. */
function expectedValues(x: Tensor, c: ViewCase): number[] {
  const xv = x.dataSync();
  return Array.from({ length: numel(c.outShape) }, (_, k) => xv[ravel(c.src(unravel(k, c.outShape)), x.shape)]!);
}

/** Whether `view` accepts this input (else it must say why, and reshape must copy). */
function viewAccepted(spec: Spec, c: ViewCase, x: Tensor): boolean {
  if (!spec.mayRefuse) return true;
  try {
    c.apply(x);
    return true;
  } catch (e) {
    expect((e as Error).message).toMatch(/^view: shape \[.*\] is not compatible with the input's shape \[.*\] and strides \[.*\]/);
    expect(x.isContiguous()).toBe(false);
    expect(reshape(x, c.outShape).storage).not.toBe(x.storage);
    return false;
  }
}

for (const spec of specs) {
  describe(spec.name, () => {
    it('matches its index map on every layout', () => {
      fc.assert(
        fc.property(caseArb(spec).chain(([shape, c]) => fc.tuple(fc.constant(c), inputArb(shape))), ([c, inp]) => {
          const x = inp.view();
          if (!viewAccepted(spec, c, x)) return;
          const y = c.apply(x);
          expect(y.shape).toEqual(c.outShape);
          if (!spec.mayCopy) expect(y.storage).toBe(x.storage); // a view, whatever the layout
          expectClose(y.dataSync(), expectedValues(x, c), { rtol: 0, atol: 0 });
        }),
        runs(),
      );
    });

    it('passes gradcheck and gradgradcheck through every layout', () => {
      fc.assert(
        fc.property(caseArb(spec).chain(([shape, c]) => fc.tuple(fc.constant(c), inputArb(shape))), ([c, inp]) => {
          fc.pre(viewAccepted(spec, c, inp.view()));
          checkGradients((l) => c.apply(inp.view(l)), [inp.leaf], { second: true });
        }),
        runs(),
      );
    });

    it('aliases its base: writes through the view land in the base', () => {
      fc.assert(
        fc.property(caseArb(spec), ([shape, c]) => {
          const base = arange(0, numel(shape), 1, { dtype: 'float64' }).reshape(shape);
          const y = c.apply(base);
          expect(y.storage).toBe(base.storage);
          const reads = [...y.dataSync()];
          if (c.broadcasts) {
            // Broadcast dims read the same element again: stride 0.
            c.outShape.forEach((d, i) => {
              const lead = c.outShape.length - shape.length;
              if (i < lead || (shape[i - lead] === 1 && d !== 1)) expect(y.strides[i]).toBe(0);
            });
            return;
          }
          const written = reads.map((_, k) => 1000 + k);
          runKernel(y.backend, 'Assign', y, tensor(Float64Array.from(written)).reshape(y.shape));
          expect([...y.dataSync()]).toEqual(written);
          const expected = Array.from({ length: numel(shape) }, (_, i) => i);
          reads.forEach((at, k) => (expected[at] = written[k]!));
          expect([...base.dataSync()]).toEqual(expected);
        }),
        runs(),
      );
    });
  });
}

describe('view and reshape: copy only when they must', () => {
  it('reshape shares storage exactly when view succeeds, and always for contiguous inputs', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) => fc.tuple(inputArb(shape), reshapeTargetArb(shape))),
        ([inp, { target, resolved }]) => {
          const x = inp.view();
          const r = reshape(x, target);
          expect(r.shape).toEqual(resolved);
          let viewed: Tensor | null = null;
          try {
            viewed = view(x, target);
          } catch (e) {
            expect((e as Error).message).toMatch(/view: .*not compatible.*strides/);
          }
          expect(r.storage === x.storage).toBe(viewed !== null);
          if (x.isContiguous()) expect(viewed).not.toBeNull();
          if (viewed) expect([...viewed.dataSync()]).toEqual([...r.dataSync()]);
          expect([...r.dataSync()]).toEqual([...x.dataSync()]);
          if (!viewed) expect(r.isContiguous()).toBe(true);
        },
      ),
      runs(),
    );
  });

  it('reshape of a permuted tensor copies; view of it throws naming the shape and strides', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }), (m, n) => {
        const x = arange(0, m * n, 1, { dtype: 'float64' }).reshape([m, n]);
        const xt = x.t();
        expect(xt.storage).toBe(x.storage);
        const flat = xt.reshape([-1]);
        expect(flat.storage).not.toBe(x.storage);
        expect([...flat.dataSync()]).toEqual(Array.from({ length: m * n }, (_, k) => (k % m) * n + Math.floor(k / m)));
        expect(() => xt.view([m * n])).toThrow(new RegExp(`view: shape \\[${m * n}\\] is not compatible with the input's shape \\[${n}, ${m}\\] and strides \\[1, ${n}\\]`));
        expect(x.reshape([n, m]).storage).toBe(x.storage);
      }),
      runs(),
    );
  });

  it('gradient of reshape-with-copy flows back to the permuted leaf', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const y = x.t().reshape([6]);
    y.mul(tensor([1, 2, 3, 4, 5, 6], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
  });
});

describe('slice bounds', () => {
  it('agrees with Python slicing for every start, end (negative, clamped, omitted) and step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), (n, lead) => {
        // A strided 1-D input (every other element of a longer vector, after `lead` elements).
        const base = arange(0, lead + 2 * n, 1, { dtype: 'float64' });
        const x = base.slice(0, lead, undefined, 2);
        expect([...x.dataSync()]).toEqual(Array.from({ length: n }, (_, i) => lead + 2 * i));
        const bounds = [undefined, ...Array.from({ length: 2 * n + 5 }, (_, i) => i - n - 2)];
        const py = (i: number) => (i < 0 ? Math.max(0, i + n) : Math.min(i, n));
        for (const start of bounds) {
          for (const end of bounds) {
            for (const step of [undefined, 1, 2, 3]) {
              const picked: number[] = [];
              for (let i = py(start ?? 0); i < py(end ?? n); i += step ?? 1) picked.push(lead + 2 * i);
              const y = x.slice(0, start, end, step);
              expect(y.shape).toEqual([picked.length]);
              expect([...y.dataSync()]).toEqual(picked);
            }
          }
        }
      }),
      runs(),
    );
  });
});

describe('view with size-1 dims', () => {
  it('size-1 dims never block a view, whatever their strides', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) =>
          fc.tuple(
            fc.constant(shape),
            fc.array(fc.tuple(fc.integer({ min: 0, max: shape.length }), fc.integer({ min: 0, max: 50 })), { maxLength: 3 }),
            reshapeTargetArb(shape),
          ),
        ),
        ([shape, ones, { target, resolved }]) => {
          const x = arange(0, numel(shape), 1, { dtype: 'float64' }).reshape(shape);
          const sh = [...x.shape];
          const st = [...x.strides];
          // Insert size-1 dims (from the back, so positions stay valid) with arbitrary strides.
          for (const [at, stride] of [...ones].sort((a, b) => b[0] - a[0])) {
            sh.splice(at, 0, 1);
            st.splice(at, 0, stride);
          }
          const odd = new Tensor(x.storage, sh, st, 0);
          expect(odd.isContiguous()).toBe(true);
          const v = odd.view(target);
          expect(v.shape).toEqual(resolved);
          expect(v.storage).toBe(x.storage);
          expect([...v.dataSync()]).toEqual([...x.dataSync()]);
          expect(odd.reshape(target).storage).toBe(x.storage);
          expect(odd.squeeze().view(shape).storage).toBe(x.storage);
        },
      ),
      runs(),
    );
  });
});

describe('permute', () => {
  it('followed by the inverse permutation is the identity (values, shape and storage)', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) => fc.tuple(inputArb(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }))),
        ([inp, perm]) => {
          const x = inp.view();
          const inverse = perm.map((_, i) => perm.indexOf(i));
          const back = x.permute(perm).permute(inverse);
          expect(back.shape).toEqual(x.shape);
          expect(back.strides).toEqual(x.strides);
          expect(back.storage).toBe(x.storage);
          expect([...back.dataSync()]).toEqual([...x.dataSync()]);
        },
      ),
      runs(),
    );
  });
});

describe('expand', () => {
  it('then sum: the gradient is the number of copies of each element', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) =>
          fc.tuple(fc.constant(shape), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 })),
        ),
        ([shape, ones, lead]) => {
          const small = shape.map((d, i) => (ones[i] ? 1 : d));
          const x = tensor(Float64Array.from({ length: numel(small) }, (_, i) => i / 7)).reshape(small).detach().requiresGrad_();
          const y = x.expand([...lead, ...shape]);
          y.sum().backward();
          const copies = numel(lead) * numel(shape) / numel(small);
          expect(x.grad!.shape).toEqual(small);
          expectClose(x.grad!.dataSync(), new Array(numel(small)).fill(copies), { rtol: 0, atol: 0 });
        },
      ),
      runs(),
    );
  });

  it('hand-checked example', () => {
    const x = tensor([[1], [2]], { dtype: 'float64', requiresGrad: true });
    const y = x.expand([3, 2, 2]);
    expect(y.strides).toEqual([0, 1, 0]);
    expect(y.toArray()).toEqual([[[1, 1], [2, 2]], [[1, 1], [2, 2]], [[1, 1], [2, 2]]]);
    y.mul(tensor([[1, 2], [3, 4]], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[9], [21]]);
  });
});

describe('contiguous and clone', () => {
  it('contiguous returns the tensor itself when contiguous, else a contiguous copy; gradients pass', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s)), (inp) => {
        const x = inp.view();
        const c = contiguous(x);
        expect(c.isContiguous()).toBe(true);
        expect(c.shape).toEqual(x.shape);
        expect([...c.dataSync()]).toEqual([...x.dataSync()]);
        if (x.isContiguous()) expect(c).toBe(x);
        else expect(c.storage).not.toBe(x.storage);
        expect(x.contiguous().isContiguous()).toBe(true);
        checkGradients((l) => contiguous(inp.view(l)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('clone copies into new storage: same values, writes do not reach the source; gradients pass', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s)), (inp) => {
        const x = inp.view();
        const before = [...x.dataSync()];
        const c = clone(x);
        expect(c.storage).not.toBe(x.storage);
        expect(c.isContiguous()).toBe(true);
        expect(c.shape).toEqual(x.shape);
        expect([...c.dataSync()]).toEqual(before);
        runKernel(c.backend, 'Assign', c, tensor(Float64Array.from(before, (v) => v + 1)).reshape(c.shape));
        expect([...x.dataSync()]).toEqual(before);
        expect([...x.clone().dataSync()]).toEqual(before);
        checkGradients((l) => clone(inp.view(l)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });
});

describe('view gradients through grad()', () => {
  it('the gradient of select/narrow/slice is the seed placed back in zeros of the input shape', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const [g1] = grad(x.select(1, -1), x, { gradOutputs: tensor([7, 8], { dtype: 'float64' }) });
    expect(g1!.toArray()).toEqual([[0, 0, 7], [0, 0, 8]]);
    const [g2] = grad(x.slice(1, -5, undefined, 2), x, { gradOutputs: tensor([[1, 2], [3, 4]], { dtype: 'float64' }) });
    expect(g2!.toArray()).toEqual([[1, 0, 2], [3, 0, 4]]);
    const [g3] = grad(x.narrow(0, 1, 1), x, { gradOutputs: tensor([[1, 1, 1]], { dtype: 'float64' }) });
    expect(g3!.toArray()).toEqual([[0, 0, 0], [1, 1, 1]]);
  });
});

describe('bad input', () => {
  const x = arange(0, 6, 1, { dtype: 'float64' }).reshape([2, 3]);

  it('reshape/view to a wrong size name the op and both shapes', () => {
    expect(() => x.reshape([4])).toThrow(/reshape: shape \[4\] is invalid for input of shape \[2, 3\]/);
    expect(() => reshape(x, [4, -1])).toThrow(/reshape: shape \[4, -1\] is invalid for input of shape \[2, 3\]/);
    expect(() => reshape(x, [-1, -1])).toThrow(/reshape: invalid shape \[-1, -1\]/);
    expect(() => x.view([7])).toThrow(/view: shape \[7\] is invalid for input of shape \[2, 3\]/);
    expect(() => x.t().view([6])).toThrow(/view: shape \[6\] is not compatible with the input's shape \[3, 2\] and strides \[1, 3\]/);
  });

  it('bad dims and indices name the op, the value and the shape', () => {
    expect(() => x.permute([0])).toThrow(/permute: got 1 dims \[0\] for a tensor of shape \[2, 3\]/);
    expect(() => x.permute([0, 0])).toThrow(/permute: dims \[0, 0\] is not a permutation/);
    expect(() => x.permute([0, 2])).toThrow(/permute: dim=2 is out of range/);
    expect(() => x.transpose(0, 2)).toThrow(/transpose: dim1=2 is out of range for a tensor with 2 dimension/);
    expect(() => arange(0, 8).reshape([2, 2, 2]).t()).toThrow(/t: .*\[2, 2, 2\]/);
    expect(() => x.expand([2, 4])).toThrow(/expand: .*size 4.*existing size 3.*\[2, 3\].*\[2, 4\]/);
    expect(() => x.expand([3])).toThrow(/expand: target shape \[3\] has fewer dims than the input's \[2, 3\]/);
    expect(() => x.expand([-1, 2, 3])).toThrow(/expand: -1 is not allowed/);
    expect(() => x.narrow(1, 2, 2)).toThrow(/narrow: start=2, length=2 is out of range for dim 1 of size 3 \(shape \[2, 3\]\)/);
    expect(() => x.narrow(2, 0, 1)).toThrow(/narrow: dim=2 is out of range/);
    expect(() => x.select(0, 2)).toThrow(/select: index 2 is out of range for dim 0 of size 2 \(shape \[2, 3\]\)/);
    expect(() => x.select(1, -4)).toThrow(/select: index -4 is out of range for dim 1 of size 3/);
    expect(() => x.slice(0, 0, 2, 0)).toThrow(/slice: step must be a positive integer, got 0/);
    expect(() => x.slice(3)).toThrow(/slice: dim=3 is out of range/);
    expect(() => x.squeeze(2)).toThrow(/squeeze: dim=2 is out of range/);
    expect(() => x.unsqueeze(3)).toThrow(/unsqueeze: dim=3 is out of range for a tensor with 3 dimension/);
    expect(() => x.flatten(1, 0)).toThrow(/flatten: startDim 1 comes after endDim 0 for shape \[2, 3\]/);
    expect(() => reshape([1, 2] as unknown as Tensor, [2])).toThrow(/reshape: argument 'x' must be a Tensor/);
  });
});
