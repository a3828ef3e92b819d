import { fmt, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { withGradMode } from './grad-mode.js';
import { keep } from '../memory.js';
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
    roots.forEach((r, i) => {
      if (!r.requiresGrad) return;
      const g = rootGrads[i]!;
      const prev = grads.get(r);
      grads.set(r, prev ? prev.add(g) : g);
    });

    for (const t of order) {
      let g = grads.get(t);
      grads.delete(t);
      if (!g || !useful.has(t)) continue;
      for (const hook of t.hooks) {
        const r = hook(g);
        if (r !== undefined && r !== null) g = r;
      }
      if (wanted?.has(t)) captured.set(t, g);
      const node = t.gradFn;
      if (!node) {
        if (!wanted) {
          // A fresh contiguous copy: g may be a broadcast view or share storage with the
          // caller's seed or another leaf's gradient, and .grad must be safe to write in place.
          const stored = opts.createGraph ? g : g.detach().clone();
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
        const prev = grads.get(x);
        grads.set(x, prev ? prev.add(gi) : gi);
      });
    }
    return captured;
  });
}
