const { resnet18 } = require('@dynconv/models');

console.log(JSON.stringify({ params: resnet18().parameters().reduce((n, p) => n + p.numel(), 0) }));
