import { randn } from '@dynconv/core';
import { DynamicConv2d, encodeSafetensors } from '@dynconv/nn';

const conv = new DynamicConv2d(3, 4, 3);
globalThis.result = [conv.forward(randn([1, 3, 6, 6])).shape, encodeSafetensors(conv.stateDict()).length];
