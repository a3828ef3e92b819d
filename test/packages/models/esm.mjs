// @dynconv/models with core and nn: resnet18 forward.
import { manualSeed, noGrad, randn } from '@dynconv/core';
import { resnet18 } from '@dynconv/models';

manualSeed(0);
const net = resnet18();
net.eval();
const y = noGrad(() => net.forward(randn([1, 3, 64, 64])));
const params = net.parameters().reduce((n, p) => n + p.numel(), 0);
console.log(JSON.stringify({ shape: y.shape, params, finite: y.toArray().flat().every(Number.isFinite) }));
