import type { Tensor } from '../tensor.js';

/**
 * Maps the gradient of a node's output to the gradients of its inputs (null where an input
 * gets none). It must be written with differentiable ops so that the backward pass itself can
 * be recorded when `createGraph` is set: that is what makes higher-order gradients work.
 */
export type BackwardFn = (gradOutput: Tensor) => (Tensor | null)[];

/** One recorded operation on the tape: its inputs and how to push a gradient back to them. */
export class Node {
  private fn: BackwardFn | null;

  constructor(
    /** The op's name, shown in errors and in `gradFn.name`. */
    readonly name: string,
    /** The op's tensor inputs, in the order `backward` returns their gradients. */
    readonly inputs: readonly Tensor[],
    backward: BackwardFn,
  ) {
    this.fn = backward;
  }

  /** Runs the backward formula; fails clearly if the graph was already freed. */
  apply(gradOutput: Tensor): (Tensor | null)[] {
    if (!this.fn) {
      throw new Error(
        `backward: trying to backward through ${this.name} a second time, but its saved tensors were freed after the first backward; pass { retainGraph: true } to the first call`,
      );
    }
    return this.fn(gradOutput);
  }

  /** Frees what the backward closure holds (the saved tensors). */
  release(): void {
    this.fn = null;
  }
}
