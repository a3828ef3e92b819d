import { randn } from '@dynconv/core';
import { type CorrelationSummary, featureMapCorrelations, summarizeCorrelations, welchTTest, type WelchResult } from '@dynconv/analysis';

const pairs = featureMapCorrelations(randn([2, 3, 4, 4]));
export const summary: CorrelationSummary = summarizeCorrelations(pairs.values, pairs.constant);
export const test: WelchResult = welchTTest([1, 2, 3], [2, 3, 5]);
