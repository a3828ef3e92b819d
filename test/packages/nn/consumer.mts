import { randn, type Tensor } from '@dynconv/core';
import { DynamicConv2d, type Module, SGD } from '@dynconv/nn';
import { saveStateDict } from '@dynconv/nn/node';

const conv: Module<[Tensor], Tensor> = new DynamicConv2d(3, 8, 3, { padding: 1 });
const opt = new SGD(conv.parameters(), { lr: 0.1 });
conv.forward(randn([1, 3, 8, 8])).sum().backward();
opt.step();
export const save: typeof saveStateDict = saveStateDict;
