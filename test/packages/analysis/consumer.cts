import analysis = require('@dynconv/analysis');

export const r: number = analysis.pearson([1, 2, 3], [1, 0, 2]);
