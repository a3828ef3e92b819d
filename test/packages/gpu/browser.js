import { setBackend } from '@dynconv/core';
import { gpuBackend } from '@dynconv/gpu';

setBackend('gpu', { mode: 'webgl2' });
globalThis.result = gpuBackend().mode;
