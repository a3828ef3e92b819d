import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { onesLike } from '../ops/creation.js';
import { runBackward } from './engine.js';

/** Options of {@link grad}, as in `torch.autograd.grad`. */
export interface GradOptions {
  /** Vector for the vector-Jacobian product, one per output; may be omitted for scalar outputs. */
  gradOutputs?: Tensor | (Tensor | null)[];
  /** Record the backward pass so the result can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph for another backward; defaults to `createGraph`. */
  retainGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

function list(x: Tensor | readonly Tensor[]): Tensor[] {
  return Array.isArray(x) ? [...x] : [x as Tensor];
}

/** Gradient seeds: the given ones (shape-checked), or ones for scalar outputs. */
export function seedGradients(op: string, outputs: readonly Tensor[], given: Tensor | readonly (Tensor | null)[] | undefined): Tensor[] {
  const seeds = given === undefined ? [] : Array.isArray(given) ? given : [given as Tensor];
  if (given !== undefined && seeds.length !== outputs.length) {
    throw new Error(`${op}: got ${seeds.length} gradient output(s) for ${outputs.length} output(s)`);
  }
  return outputs.map((o, i) => {
    const g = seeds[i];
    if (g) {
      if (g.shape.length !== o.shape.length || g.shape.some((d: number, j: number) => d !== o.shape[j])) {
        throw new Error(`${op}: gradient for output ${i} has shape ${fmt(g.shape)} but the output has shape ${fmt(o.shape)}`);
      }
      return g;
    }
    if (o.numel() !== 1) {
      throw new Error(`${op}: output ${i} has shape ${fmt(o.shape)}; a gradient can be implied only for scalar outputs, so pass one explicitly`);
    }
    return onesLike(o);
  });
}

/**
 * Gradients of `outputs` with respect to `inputs` (`torch.autograd.grad`), without touching
 * any `.grad`. With `createGraph` the results are themselves differentiable.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = list(outputs);
  const ins = list(inputs);
  outs.forEach((o, i) => {
    if (!o.requiresGrad) throw new Error(`grad: output ${i} (shape ${fmt(o.shape)}) does not require grad and has no gradFn`);
  });
  ins.forEach((x, i) => {
    if (!x.requiresGrad) throw new Error(`grad: input ${i} (shape ${fmt(x.shape)}) does not require grad`);
  });
  const createGraph = opts.createGraph ?? false;
  const seeds = seedGradients('grad', outs, opts.gradOutputs);
  const captured = runBackward(outs, seeds, { createGraph, retainGraph: opts.retainGraph ?? createGraph, inputs: ins });
  return ins.map((x, i) => {
    const g = captured.get(x);
    if (g) return g;
    if (!opts.allowUnused) {
      throw new Error(`grad: input ${i} (shape ${fmt(x.shape)}) was not used to compute the outputs; pass { allowUnused: true } to get null`);
    }
    return null;
  });
}
