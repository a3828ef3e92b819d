import nn = require('@dynconv/nn');

export const layer: nn.Linear = new nn.Linear(2, 2);
