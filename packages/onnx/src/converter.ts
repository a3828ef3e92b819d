/**
 * Converters: one function per Module class that writes the ONNX nodes of that module's eval
 * forward, calling its children's converters for the submodules it runs. The registry is keyed
 * by the exact class (a subclass may override forward, so it needs a converter of its own).
 */
import type { Module } from '@dynconv/nn';
import type { OnnxGraph, OnnxValue } from './graph.js';

/** Any module, whatever its forward takes and returns. */
export type AnyModule = Module<never[], unknown>;

/**
 * How a dynamic convolution is exported: `'kernel'`, the kernel-fusion graph (coefficients
 * mix the kernel bank per image, then one convolution per image with its mixed kernels), or
 * `'output'`, the output-fusion graph (one convolution with the whole bank, then the outputs
 * weighted by the coefficients and summed). See docs/onnx.md for both graphs and their costs.
 */
export type DynamicExport = 'kernel' | 'output';

/** What a converter works with: the graph, the export's settings, and its children's converters. */
export interface ConvertContext {
  /** The graph the nodes go into. */
  readonly graph: OnnxGraph;
  /** How dynamic convolutions are exported. */
  readonly dynamic: DynamicExport;
  /**
   * Converts `module` (a child, usually) applied to `inputs` with its registered converter,
   * naming its nodes by the module's path; returns its output.
   */
  call(module: AnyModule, ...inputs: OnnxValue[]): OnnxValue;
}

/**
 * Writes the nodes of `module`'s eval-mode forward applied to `inputs` and returns the output.
 * It mirrors the module's forward(): the same operations, in the same order, on graph values.
 */
export type Converter<M = AnyModule> = (cx: ConvertContext, module: M, ...inputs: OnnxValue[]) => OnnxValue;

/** A class and its converter, as {@link ExportOptions.converters} takes them. */
export type ConverterEntry = readonly [cls: abstract new (...args: never[]) => object, converter: Converter<never>];

/** A converter entry for `cls`, with the converter's module typed as an instance of `cls`. */
export function converter<C extends abstract new (...args: never[]) => object>(cls: C, fn: Converter<InstanceType<C>>): ConverterEntry {
  return [cls, fn as Converter<never>];
}

/** The options {@link exportOnnx} takes (all optional). */
export interface ExportOptions {
  /** How dynamic convolutions are exported (default `'kernel'`, the paper's inference path). */
  dynamic?: DynamicExport;
  /**
   * Leave the batch size dynamic (default true): the input and output have a symbolic dim `N`.
   * false fixes it to the example's; kernel fusion then folds the batch into the groups of one
   * convolution (the layout dynconv's eval forward uses) instead of looping over the images.
   */
  dynamicBatch?: boolean;
  /**
   * Fold each eval BatchNorm that directly follows a static convolution into that convolution's
   * weight and bias (default true). Others (after a dynamic convolution) stay BatchNormalization.
   */
  foldBatchNorm?: boolean;
  /** Name of the graph input (default `'input'`). */
  inputName?: string;
  /** Name of the graph output (default `'output'`). */
  outputName?: string;
  /** The graph's name (default: the model's class name). */
  graphName?: string;
  /**
   * Converters for module classes of your own (or replacements for the built-in ones), looked
   * up before {@link DEFAULT_CONVERTERS}.
   */
  converters?: Iterable<ConverterEntry>;
  /** Extra key/value pairs for the model's metadata_props (say, the input's normalization). */
  metadata?: Readonly<Record<string, string>>;
}

/** The ONNX operator set the exported models use (onnx 1.12's latest, which onnxruntime runs). */
export const OPSET = 17;
/** The ONNX IR version of the exported models (onnx 1.12's). */
export const IR_VERSION = 8;
