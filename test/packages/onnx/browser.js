import { randn } from '@dynconv/core';
import { Conv2d, Sequential, ReLU } from '@dynconv/nn';
import { exportOnnx } from '@dynconv/onnx';

globalThis.result = exportOnnx(new Sequential(new Conv2d(3, 4, 3), new ReLU()).eval(), randn([1, 3, 8, 8])).length;
