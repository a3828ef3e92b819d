import { isFloating } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { checkForward, isAnomalyEnabled } from './anomaly.js';
import { isGradEnabled } from './grad-mode.js';
import { type BackwardFn, Node } from './node.js';

/**
 * Puts `out` on the tape as the result of op `name` applied to `inputs`, when grad mode is on
 * and some input requires grad. Every differentiable op ends with this call (which is also
 * where anomaly detection, when on, checks the op's output: anomaly.ts).
 */
export function record(name: string, out: Tensor, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (isAnomalyEnabled()) checkForward(name, out, inputs);
  if (isGradEnabled() && isFloating(out.dtype) && inputs.some((t) => t.requiresGrad)) {
    out._setGradFn(new Node(name, inputs, backward));
  }
  return out;
}
