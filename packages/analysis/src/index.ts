/**
 * @dynconv/analysis: the measurements behind the DyNet paper's claims. Pearson correlations of
 * a layer's feature maps and kernels (streamed over batches), the paper's strong / medium /
 * weak / none bins and full histograms, Welch's t-test with the Student t distribution from
 * the regularized incomplete beta function, and a small SVG writer for the figures.
 * Browser-safe: no `node:` imports.
 * @packageDocumentation
 */
export { CONSTANT_TOLERANCE, CorrelationAccumulator, correlationMatrix, pairCorrelations, pearson, type CorrelationPairs } from './correlation.js';
export {
  BIN_NAMES, binCorrelations, binOf, histogram, histogramEdges, PAPER_BINS, summarizeCorrelations,
  type BinCounts, type BinName, type CorrelationSummary, type CorrelationThresholds, type Histogram, type HistogramOptions,
} from './bins.js';
export { accumulateFeatureMaps, featureMapCorrelations, kernelCorrelations, perImageKernelCorrelations } from './tensors.js';
export { convLayers, ModelCorrelation, recordConvLayers, type ConvLayer, type ConvRecord, type LayerCorrelation, type ModelCorrelationOptions, type NamedModules, type RecordedRun } from './layers.js';
export {
  logGamma, mean, normalCdf, regularizedIncompleteBeta, sampleVariance, studentTCdf, studentTQuantile, studentTTwoSidedP, summarize, welchTTest,
  type SampleSummary, type WelchResult,
} from './stats.js';
export {
  escapeXml, niceTicks, PALETTE, renderBinBars, renderErrorBarChart, renderHistogramGrid,
  type BinBarGroup, type BinBarRow, type BinBarSpec, type ErrorBarChartSpec, type ErrorBarPanel, type ErrorBarPoint, type ErrorBarSeries, type HistogramCell, type HistogramGridRow, type HistogramGridSpec,
} from './svg.js';
