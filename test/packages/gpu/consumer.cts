import gpu = require('@dynconv/gpu');

export const create: typeof gpu.createGpuBackend = gpu.createGpuBackend;
