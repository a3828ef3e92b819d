/**
 * A trained model's conv layers, correlated: what each layer outputs, and for a dynamic layer
 * also what its fixed kernel bank would output and the kernels it generates per image.
 *
 * Modules have no forward hooks, so {@link recordConvLayers} wraps the `forward` of every
 * Conv2d and DynamicConv2d instance for the duration of one call (an own property that shadows
 * the class's method, deleted afterwards), recording each call's input, output and, for a
 * dynamic layer, the coefficients it used.
 */
import { conv2d, noGrad, ones, type Tensor } from '@dynconv/core';
import { Conv2d, DynamicConv2d, type DynamicPredictorKind, fuseKernels, type Module } from '@dynconv/nn';
import { type CorrelationSummary, type CorrelationThresholds, type HistogramOptions, summarizeCorrelations } from './bins.js';
import { CorrelationAccumulator, type CorrelationPairs } from './correlation.js';
import { accumulateFeatureMaps, kernelCorrelations, perImageKernelCorrelations } from './tensors.js';

/** The layers {@link recordConvLayers} records. */
export type ConvLayer = Conv2d | DynamicConv2d;

/** One call of a conv layer during {@link recordConvLayers}. */
export interface ConvRecord {
  /** The layer's dotted name in the model (`stage1.conv1`). */
  name: string;
  /** The layer itself. */
  layer: ConvLayer;
  /** Its input [N, C, H, W]. */
  input: Tensor;
  /** Its output [N, outChannels, Ho, Wo]. */
  output: Tensor;
  /**
   * A DynamicConv2d's coefficients [N, outChannels * groupSize]: the ones it was given, else
   * its own predictor's on this input, else (fixed coefficients) ones. Absent for a Conv2d.
   */
  coefficients?: Tensor;
}

/** The model side {@link recordConvLayers} needs: its submodules by name. */
export interface NamedModules {
  /** This module and every descendant with dotted names, as {@link Module.namedModules} gives them. */
  namedModules(): [string, Module<never[], unknown>][];
}

/** The Conv2d and DynamicConv2d layers of a model, by name, in registration order. */
export function convLayers(model: NamedModules): [string, ConvLayer][] {
  return model.namedModules().filter((e): e is [string, ConvLayer] => e[1] instanceof Conv2d || e[1] instanceof DynamicConv2d);
}

type Forward = (x: Tensor, eta?: Tensor) => Tensor;

/** {@link recordConvLayers}'s answer. */
export interface RecordedRun<T> {
  /** What the recorded function returned. */
  result: T;
  /** The conv layers' calls, in call order. */
  records: ConvRecord[];
}

/**
 * Runs `run` (typically `() => model.forward(x)`) with every conv layer of `model` (or those
 * `include` accepts) recording its calls, and restores the layers afterwards, even if `run`
 * throws. Returns `run`'s result and the records in call order.
 */
export function recordConvLayers<T>(model: NamedModules, run: () => T, include: (name: string, layer: ConvLayer) => boolean = () => true): RecordedRun<T> {
  const records: ConvRecord[] = [];
  const restore: (() => void)[] = [];
  try {
    for (const [name, layer] of convLayers(model)) {
      if (!include(name, layer)) continue;
      const target = layer as unknown as { forward: Forward };
      const own = Object.prototype.hasOwnProperty.call(target, 'forward');
      const original = target.forward;
      target.forward = (x: Tensor, eta?: Tensor) => {
        const output = original.call(layer, x, eta);
        const record: ConvRecord = { name, layer, input: x, output };
        if (layer instanceof DynamicConv2d) record.coefficients = coefficientsOf(layer, x, eta);
        records.push(record);
        return output;
      };
      restore.push(() => {
        if (own) target.forward = original;
        else delete (target as { forward?: Forward }).forward;
      });
    }
    return { result: run(), records };
  } finally {
    for (const r of restore) r();
  }
}

function coefficientsOf(layer: DynamicConv2d, x: Tensor, eta: Tensor | undefined): Tensor {
  if (eta !== undefined) return eta;
  if (layer.predictor) return layer.predictor.forward(x);
  return ones([x.shape[0]!, layer.numCoefficients], { dtype: layer.weight.dtype });
}

/** What {@link ModelCorrelation} reports for one conv layer. */
export interface LayerCorrelation {
  /** The layer's dotted name. */
  name: string;
  /** `Conv2d` or `DynamicConv2d`. */
  type: 'Conv2d' | 'DynamicConv2d';
  /** Output channels (feature maps) of the layer. */
  outChannels: number;
  /** A dynamic layer's g, else null. */
  groupSize: number | null;
  /** Where a dynamic layer's coefficients come from, else null. */
  predictor: DynamicPredictorKind | null;
  /** The layer's output feature maps (a dynamic layer's: those of its per-image mixed kernels). */
  featureMaps: CorrelationSummary;
  /** The layer's kernels, flattened (a dynamic layer's: its fixed bank of outChannels * g kernels). */
  kernels: CorrelationSummary;
  /** A dynamic layer only: the feature maps of every fixed kernel of the bank (outChannels * g maps, before mixing). */
  bankFeatureMaps: CorrelationSummary | null;
  /** A dynamic layer only: the kernels it generates for each image, correlated within each image and pooled. */
  generatedKernels: CorrelationSummary | null;
}

/** Options of {@link ModelCorrelation}. */
export interface ModelCorrelationOptions {
  /** Names of the layers to analyze (default: every Conv2d and DynamicConv2d). */
  layers?: readonly string[];
  /** S/M/W/N thresholds (default {@link PAPER_BINS}). */
  thresholds?: CorrelationThresholds;
  /** The histograms' range and bins (default twenty bins on [-1, 1]). */
  histogram?: HistogramOptions;
  /** How many images' generated kernels to correlate (default 100; each image's are correlated with each other). */
  kernelImages?: number;
}

interface LayerState {
  layer: ConvLayer;
  maps: CorrelationAccumulator | null;
  bank: CorrelationAccumulator | null;
  generated: Float64Array[];
  generatedConstant: number;
  generatedImages: number;
}

/**
 * Feeds batches through a model and correlates its conv layers' feature maps over all of them
 * (streamed: only sums are kept), plus kernel correlations. The model runs as it is: put it in
 * eval mode first (BatchNorm on running statistics, dynamic layers on kernel fusion, the
 * paper's inference path). Pearson's r is invariant to a per-channel affine map, so the conv
 * output and the BatchNorm after it give the same |r|.
 */
export class ModelCorrelation {
  /** Images seen so far. */
  images = 0;
  private readonly states = new Map<string, LayerState>();
  private readonly kernelImages: number;

  constructor(
    /** The model (its forward takes a batch of images). */
    readonly model: Module,
    /** The options it was built with. */
    readonly opts: ModelCorrelationOptions = {},
  ) {
    const all = convLayers(model);
    const wanted = opts.layers ?? all.map(([n]) => n);
    for (const name of wanted) {
      const found = all.find(([n]) => n === name);
      if (!found) throw new Error(`ModelCorrelation: no conv layer named ${JSON.stringify(name)}; the model's conv layers are ${all.map(([n]) => n).join(', ') || '(none)'}`);
      this.states.set(name, { layer: found[1], maps: null, bank: null, generated: [], generatedConstant: 0, generatedImages: 0 });
    }
    this.kernelImages = opts.kernelImages ?? 100;
  }

  /** The analyzed layers' names. */
  layerNames(): string[] {
    return [...this.states.keys()];
  }

  /** Runs the model on a batch [N, C, H, W] (no tape) and adds what its conv layers computed. */
  addBatch(x: Tensor): void {
    noGrad(() => {
      const { records } = recordConvLayers(this.model, () => this.model.forward(x), (name) => this.states.has(name));
      for (const r of records) {
        const s = this.states.get(r.name)!;
        s.maps = accumulateFeatureMaps(r.output, s.maps ?? undefined);
        if (r.layer instanceof DynamicConv2d) {
          const layer = r.layer;
          s.bank = accumulateFeatureMaps(conv2d(r.input, layer.weight, null, layer.convOptions), s.bank ?? undefined);
          const room = this.kernelImages - s.generatedImages;
          if (room > 0) {
            const fused = fuseKernels(layer.weight, r.coefficients!, layer.groupSize);
            const p = perImageKernelCorrelations(fused, room);
            s.generated.push(p.values);
            s.generatedConstant += p.constant;
            s.generatedImages += Math.min(room, fused.shape[0]!);
          }
        }
      }
    });
    this.images += x.shape[0]!;
  }

  /** The correlations of every analyzed layer, in the model's order. */
  result(): LayerCorrelation[] {
    const summarize = (p: CorrelationPairs) => summarizeCorrelations(p.values, p.constant, { thresholds: this.opts.thresholds, histogram: this.opts.histogram });
    const out: LayerCorrelation[] = [];
    for (const [name, s] of this.states) {
      if (!s.maps) throw new Error(`ModelCorrelation: layer ${name} was never called (add a batch first, or is the layer unused?)`);
      const dynamic = s.layer instanceof DynamicConv2d ? s.layer : null;
      const generated = dynamic ? concat(s.generated) : null;
      out.push({
        name,
        type: dynamic ? 'DynamicConv2d' : 'Conv2d',
        outChannels: s.layer.outChannels,
        groupSize: dynamic ? dynamic.groupSize : null,
        predictor: dynamic ? dynamic.predictorKind : null,
        featureMaps: summarize(s.maps.pairs()),
        kernels: summarize(kernelCorrelations(s.layer.weight)),
        bankFeatureMaps: s.bank ? summarize(s.bank.pairs()) : null,
        generatedKernels: generated ? summarize({ values: generated, constant: s.generatedConstant }) : null,
      });
    }
    return out;
  }
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
