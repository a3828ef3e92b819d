/** A deliberately wrong op, so tests can show gradcheck catches bad gradients. */
import { record, type Tensor } from '../../src/index.js';

export * from '../../src/index.js';

/** Forward x², backward given by `backward(g, x)` (a wrong one in the tests). */
export function wrapForTest(x: Tensor, backward: (g: Tensor, x: Tensor) => Tensor): Tensor {
  return record('wrongSquare', x.detach().mul(x.detach()), [x], (g) => [backward(g, x)]);
}
