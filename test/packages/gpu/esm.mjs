// @dynconv/gpu with core: a matmul on the gpu backend (webasm in Node without a display) vs the CPU.
import { randn, setBackend, toBackend } from '@dynconv/core';
import { gpuBackend } from '@dynconv/gpu';

const a = randn([16, 8]);
const b = randn([8, 4]);
const cpu = a.matmul(b).toArray().flat();
setBackend('gpu', { mode: 'webasm' });
const out = toBackend(a, 'gpu').matmul(toBackend(b, 'gpu')).toArray().flat();
const maxDiff = Math.max(...out.map((v, i) => Math.abs(v - cpu[i])));
console.log(JSON.stringify({ mode: gpuBackend().mode, maxDiff }));
