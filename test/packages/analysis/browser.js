import { randn } from '@dynconv/core';
import { featureMapCorrelations, renderBinBars, studentTTwoSidedP } from '@dynconv/analysis';

const pairs = featureMapCorrelations(randn([2, 3, 4, 4]));
globalThis.result = [pairs.values.length, studentTTwoSidedP(2, 10), renderBinBars({ title: 'x', groups: [] }).length];
