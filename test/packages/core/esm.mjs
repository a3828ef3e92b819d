// @dynconv/core alone, from ESM: autograd and gradcheck.
import { gradcheck, manualSeed, randn, tensor } from '@dynconv/core';

const x = tensor([1, 2, 3], { requiresGrad: true });
x.mul(x).sum().backward();
manualSeed(0);
const a = randn([3, 4], { dtype: 'float64', requiresGrad: true });
const ok = gradcheck((t) => t.tanh().mul(t).sum(), [a]);
console.log(JSON.stringify({ grad: x.grad.toArray(), gradcheck: ok }));
