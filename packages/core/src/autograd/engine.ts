import { fmt, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { withGradMode } from './grad-mode.js';
import { keep } from '../memory.js';
import { hasKernel, runKernel } from '../backend/registry.js';
import { checkedBackward, isAnomalyEnabled } from './anomaly.js';

export interface EngineOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** grad(): capture these tensors' gradients instead of accumulating into leaves' `.grad`. */
  inputs?: readonly Tensor[];
}

/**
 * Tensors reachable from `roots` through recorded nodes, ordered so that every tensor comes
 * after all the tensors that use it (reverse post-order of a depth-first search). Iterative so
 * deep graphs (long training loops, RNNs) do not overflow the call stack.
 */
function topoOrder(roots: readonly Tensor[]): Tensor[] {
  const post: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (seen.has(r) || !r.requiresGrad) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const inputs = top[0].gradFn?.inputs ?? [];
      if (top[1] < inputs.length) {
        const child = inputs[top[1]++]!;
        if (child.requiresGrad && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        post.push(top[0]);
        stack.pop();
      }
    }
  }
  return post.reverse();
}

/**
 * dst += src in place, where that is safe and the backend can: not while building a graph of
 * the backward pass (createGraph), and only into a plain contiguous tensor of src's shape,
 * dtype and backend that shares no storage with it. Returns false when it did nothing.
 */
function addInPlace(dst: Tensor, src: Tensor, createGraph: boolean): boolean {
  if (createGraph || dst.requiresGrad || dst.backend !== src.backend || dst.dtype !== src.dtype || dst.storage === src.storage) return false;
  if (!dst.isContiguous() || !shapesEqual(dst.shape, src.shape) || !hasKernel(dst.backend, 'Accumulate')) return false;
  runKernel(dst.backend, 'Accumulate', dst, src);
  return true;
}

/**
 * Reverse-mode sweep. Gradients flowing into a tensor are summed before its node runs, hooks
 * see the complete gradient, and leaves accumulate into `.grad` (or are captured for grad()).
 */
export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: EngineOptions): Map<Tensor, Tensor> {
  const order = topoOrder(roots);
  const captured = new Map<Tensor, Tensor>();
  const wanted = opts.inputs ? new Set(opts.inputs) : null;
  // With explicit inputs, skip nodes that cannot reach any of them.
  const useful = new Set<Tensor>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    if (!wanted || wanted.has(t) || (t.gradFn?.inputs ?? []).some((x) => useful.has(x))) useful.add(t);
  }

  return withGradMode(opts.createGraph, () => {
    const grads = new Map<Tensor, Tensor>();
    // Sums this sweep made itself: nothing else references them until their tensor's node
    // runs, so further contributions are added into them in place. Gradients returned by
    // backward functions may alias each other (add's backward returns g twice), the seed or
    // saved tensors, so they are never written.
    const owned = new Set<Tensor>();
    const contribute = (x: Tensor, gi: Tensor) => {
      const prev = grads.get(x);
      if (!prev) return void grads.set(x, gi);
      if (owned.has(prev) && addInPlace(prev, gi, opts.createGraph)) return;
      const sum = prev.add(gi);
      if (!opts.createGraph) owned.add(sum);
      grads.set(x, sum);
    };
    roots.forEach((r, i) => {
      if (r.requiresGrad) contribute(r, rootGrads[i]!);
    });

    for (const t of order) {
      let g = grads.get(t);
      grads.delete(t);
      if (!g || !useful.has(t)) continue;
      // Ours (unshared) only while no hook has seen it: a hook may keep what it is given.
      const ours = owned.delete(g) && t.hooks.length === 0;
      for (const hook of t.hooks) {
        const r = hook(g);
        if (r !== undefined && r !== null) g = r;
      }
      if (wanted?.has(t)) captured.set(t, g);
      const node = t.gradFn;
      if (!node) {
        if (!wanted) {
          // Accumulate into an existing .grad in place, as PyTorch does (not under createGraph).
          if (t.grad && addInPlace(t.grad, g, opts.createGraph)) continue;
          // Else a fresh contiguous copy: g may be a broadcast view or share storage with the
          // caller's seed or another leaf's gradient, and .grad must be safe to write in place.
          // A sum of ours already is one.
          const stored = opts.createGraph ? g : ours && g.isContiguous() ? g.detach() : g.detach().clone();
          // Kept: a leaf's gradient survives the tidy() scope that ran backward (memory.ts).
          t.grad = keep(t.grad ? (opts.createGraph ? t.grad.add(stored) : t.grad.add(stored).detach()) : stored);
        }
        continue;
      }
      if (!wanted && t.retainsGrad) t.grad = keep(opts.createGraph ? g : g.detach());
      // grad() stops at the requested tensors: nothing below them is needed (or freed).
      if (!node.inputs.some((x) => useful.has(x))) continue;
      // Anomaly detection checks what the backward formula returns (anomaly.ts).
      const inputGrads = isAnomalyEnabled() ? checkedBackward(node, t, g) : node.apply(g);
      if (!opts.retainGraph) node.release();
      node.inputs.forEach((x, i) => {
        let gi = inputGrads[i];
        if (!gi || !x.requiresGrad || !useful.has(x)) return;
        if (!shapesEqual(gi.shape, x.shape)) {
          throw new Error(`backward: ${node.name} returned a gradient of shape ${fmt(gi.shape)} for input ${i} of shape ${fmt(x.shape)}`);
        }
        if (gi.dtype !== x.dtype) gi = gi.to(x.dtype);
        contribute(x, gi);
      });
    }
    return captured;
  });
}
