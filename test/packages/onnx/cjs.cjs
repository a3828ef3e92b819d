const { exportOnnx, DEFAULT_CONVERTERS } = require('@dynconv/onnx');

console.log(JSON.stringify({ exportOnnx: typeof exportOnnx, converters: DEFAULT_CONVERTERS.size > 30 }));
