// Type-checked with strict settings (module nodenext, an ES module file).
import { type Tensor, randn, tensor } from '@dynconv/core';

const w: Tensor = randn([4, 2], { requiresGrad: true });
const loss: Tensor = tensor([[1, 2, 3, 4]]).matmul(w).relu().sum();
loss.backward();
const g: Tensor | null = w.grad;
export const shape: readonly number[] = g ? g.shape : [];
