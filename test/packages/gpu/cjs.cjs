const { createGpuBackend } = require('@dynconv/gpu');

console.log(JSON.stringify({ create: typeof createGpuBackend }));
