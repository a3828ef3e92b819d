import { setBackend } from '@dynconv/core';
import { gpuBackend } from '@dynconv/gpu';

setBackend('gpu', { mode: 'cpu' });
export const mode: string = gpuBackend().mode;
