// @dynconv/nn with core: a DynamicConv2d forward and backward, and a safetensors round trip.
import { manualSeed, randn } from '@dynconv/core';
import { DynamicConv2d, decodeSafetensors, encodeSafetensors } from '@dynconv/nn';
import { saveStateDict } from '@dynconv/nn/node';

manualSeed(0);
const conv = new DynamicConv2d(4, 6, 3, { padding: 1 });
const y = conv.forward(randn([2, 4, 8, 8]));
y.square().mean().backward();
const grads = conv.parameters().every((p) => p.grad !== null && p.grad.shape.join() === p.shape.join());
const state = conv.stateDict();
const back = decodeSafetensors(encodeSafetensors(state)).tensors;
const same = Object.keys(state).every((k) => JSON.stringify(back[k].toArray()) === JSON.stringify(state[k].toArray()));
console.log(JSON.stringify({ shape: y.shape, grads, roundTrip: same, keys: Object.keys(state).length, node: typeof saveStateDict }));
