// @dynconv/analysis with core and nn: a model's conv layers correlated, Welch's t-test, an SVG.
import { Generator, manualSeed, randn } from '@dynconv/core';
import { Conv2d, DynamicConv2d, Module } from '@dynconv/nn';
import { ModelCorrelation, pearson, renderHistogramGrid, welchTTest } from '@dynconv/analysis';

class Net extends Module {
  constructor() {
    super();
    const generator = new Generator(1);
    this.conv = this.module('conv', new Conv2d(1, 4, 3, { padding: 1, generator }));
    this.dyn = this.module('dyn', new DynamicConv2d(4, 3, 3, { padding: 1, groupSize: 2, generator }));
  }

  forward(x) {
    return this.dyn.forward(this.conv.forward(x).relu());
  }
}

manualSeed(0);
const analysis = new ModelCorrelation(new Net().eval());
analysis.addBatch(randn([4, 1, 6, 6]));
const layers = analysis.result();
const svg = renderHistogramGrid({ title: 't', columns: ['maps'], rows: layers.map((l) => ({ label: l.name, cells: [{ histogram: l.featureMaps.histogram }] })) });
console.log(JSON.stringify({
  r: pearson([1, 2, 3], [2, 4, 6]),
  p: Number(welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]).p.toFixed(4)),
  layers: layers.map((l) => [l.name, l.type, l.featureMaps.pairs, l.generatedKernels?.pairs ?? null]),
  svg: svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'),
}));
