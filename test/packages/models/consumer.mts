import { randn, type Tensor } from '@dynconv/core';
import { dyResnet18, type ResNet, resnet18 } from '@dynconv/models';

const net: ResNet = resnet18();
export const y: Tensor = net.forward(randn([1, 3, 32, 32]));
export const dy = dyResnet18();
