/**
 * exportOnnx: a dynconv model in eval mode to an ONNX model (protobuf bytes).
 */
import { CORE_VERSION, noGrad, type Tensor } from '@dynconv/core';
import type { Module } from '@dynconv/nn';
import { type AnyModule, type ConvertContext, type Converter, type ConverterEntry, type DynamicExport, type ExportOptions, IR_VERSION, OPSET } from './converter.js';
import { DYNAMIC_CONVERTERS } from './converters/dynamic.js';
import { MODEL_CONVERTERS } from './converters/models.js';
import { NN_CONVERTERS } from './converters/nn.js';
import { type Initializer, nodeProto, OnnxGraph, type OnnxNode, type OnnxValue, subgraphReads, tensorProto, valueInfo } from './graph.js';
import { encodeMessage } from './protobuf.js';

/**
 * The built-in converters, by class: every layer of @dynconv/nn that has an eval-mode ONNX
 * equivalent (containers, convolutions, BatchNorm, Linear, activations, pooling, dropout,
 * channel shuffle, squeeze-excitation, DynamicConv2d and its predictor) and every model and
 * block of @dynconv/models.
 */
export const DEFAULT_CONVERTERS: ReadonlyMap<abstract new (...args: never[]) => object, Converter<never>> = new Map([...NN_CONVERTERS, ...DYNAMIC_CONVERTERS, ...MODEL_CONVERTERS]);

/** The name of the symbolic batch dim of the input and output. */
export const BATCH_DIM = 'N';

/**
 * Exports `model` (in eval mode) as an ONNX model and returns its bytes (an `.onnx` file's
 * contents). `exampleInput` fixes every dim but the batch: the graph takes inputs of its shape
 * with any batch size (`dynamicBatch: false` fixes that too). Dynamic convolutions export as
 * the kernel-fusion graph (default) or the output-fusion graph (`dynamic: 'output'`); eval
 * BatchNorms after static convolutions are folded into them (`foldBatchNorm: false` keeps them).
 *
 * Runs `model.forward(exampleInput)` once (without the tape) and checks the graph's output shape
 * against it. Throws if a module is still in training mode, or has no converter (pass one in
 * `opts.converters`). Weights are stored as float32 whatever the model's dtype.
 */
export function exportOnnx(model: AnyModule, exampleInput: Tensor, opts: ExportOptions = {}): Uint8Array {
  const dynamic: DynamicExport = opts.dynamic ?? 'kernel';
  if (dynamic !== 'kernel' && dynamic !== 'output') throw new Error(`exportOnnx: dynamic must be 'kernel' or 'output', got ${JSON.stringify(dynamic)}`);
  const dynamicBatch = opts.dynamicBatch ?? true;
  const paths = new Map<AnyModule, string>();
  for (const [path, m] of model.namedModules()) if (!paths.has(m)) paths.set(m, path);
  const training = [...paths].filter(([m]) => m.training).map(([, p]) => p || '(the model)');
  if (training.length) throw new Error(`exportOnnx: exports eval-mode models; ${training.slice(0, 3).join(', ')}${training.length > 3 ? ', ...' : ''} ${training.length === 1 ? 'is' : 'are'} in training mode: call model.eval() first`);
  if (exampleInput.ndim < 1) throw new Error('exportOnnx: exampleInput needs a batch dim');

  const tensorNames = new Map<Tensor, string>();
  for (const [k, t] of [...model.namedParameters(), ...model.namedBuffers()]) if (!tensorNames.has(t)) tensorNames.set(t, k);
  const converters = new Map<abstract new (...args: never[]) => object, Converter<never>>(DEFAULT_CONVERTERS);
  for (const [cls, fn] of opts.converters ?? []) converters.set(cls, fn);

  const graph = new OnnxGraph(tensorNames);
  const input = graph.value(opts.inputName ?? 'input', exampleInput.shape, { batched: dynamicBatch });
  const cx: ConvertContext = {
    graph,
    dynamic,
    call(module: AnyModule, ...inputs: OnnxValue[]): OnnxValue {
      const outer = graph.scope;
      const path = paths.get(module) ?? `${outer ? `${outer}.` : ''}${module.constructor.name}`;
      const fn = converters.get(module.constructor as abstract new (...args: never[]) => object) as Converter | undefined;
      if (!fn) {
        throw new Error(
          `exportOnnx: no ONNX converter for ${module.constructor.name} (at ${path || 'the model'}); pass one in opts.converters ` +
            '(a converter is keyed by the exact class: a subclass needs its own; see docs/onnx.md)',
        );
      }
      graph.scope = path;
      try {
        return fn(cx, module, ...inputs);
      } finally {
        graph.scope = outer;
      }
    },
  };
  let output = cx.call(model, input);

  // The graph must compute what the model computes: at least the output's shape.
  const expected = noGrad(() => (model as unknown as Module<[Tensor], Tensor>).forward(exampleInput));
  if (expected.shape.join(',') !== output.shape.join(',')) {
    throw new Error(`exportOnnx: the graph's output has shape [${output.shape.join(', ')}], the model's forward gives [${expected.shape.join(', ')}]: a converter does not match its module`);
  }

  if (opts.foldBatchNorm ?? true) {
    const renamed = foldBatchNorms(graph.nodes, graph.initializers);
    const name = renamed.get(output.name);
    if (name) output = { ...output, name };
  }
  output = nameOutput(graph, output, opts.outputName ?? 'output');
  const used = new Set(graph.nodes.flatMap((n) => [...n.inputs, ...subgraphReads(n)]));
  const initializers = graph.initializers.filter((t) => used.has(t.name));

  const proto = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: '@dynconv/onnx',
    producer_version: CORE_VERSION,
    doc_string: `${model.constructor.name} exported by @dynconv/onnx (eval mode; dynamic convolutions as ${dynamic}-fusion graphs)`,
    graph: {
      node: graph.nodes.map(nodeProto),
      name: opts.graphName ?? model.constructor.name,
      initializer: initializers.map(tensorProto),
      input: [valueInfo(input, BATCH_DIM)],
      output: [valueInfo(output, BATCH_DIM)],
    },
    metadata_props: [
      { key: 'dynconv.dynamic', value: dynamic },
      { key: 'dynconv.dynamic_batch', value: String(dynamicBatch) },
      { key: 'dynconv.fold_batch_norm', value: String(opts.foldBatchNorm ?? true) },
      ...Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    ],
  };
  return encodeMessage('ModelProto', proto);
}

/** Renames the value `output` to `name` (adding an Identity when it is not a node's output). */
function nameOutput(graph: OnnxGraph, output: OnnxValue, name: string): OnnxValue {
  const producer = graph.nodes.find((n) => n.outputs.includes(output.name));
  const consumed = graph.nodes.some((n) => n.inputs.includes(output.name) || subgraphReads(n).includes(output.name));
  if (!producer || consumed) {
    const out = graph.value(name, output.shape, { batched: output.batched });
    graph.nodes.push({ opType: 'Identity', name: graph.uniqueName('output/Identity'), inputs: [output.name], outputs: [out.name], attributes: {} });
    return out;
  }
  const out = graph.value(name, output.shape, { batched: output.batched });
  producer.outputs[producer.outputs.indexOf(output.name)] = out.name;
  return out;
}

/**
 * Folds each BatchNormalization fed by a Conv (whose weight and bias are initializers and whose
 * output nothing else reads) into the Conv: W' = W * s, b' = (b - mean) * s + beta with
 * s = gamma / sqrt(var + eps), computed in float64. The BatchNormalization's readers read the
 * Conv's output instead; returns those renames (BatchNormalization output -> Conv output).
 */
function foldBatchNorms(nodes: OnnxNode[], initializers: Initializer[]): Map<string, string> {
  const byName = new Map(initializers.map((t) => [t.name, t]));
  const reads = new Map<string, number>();
  for (const n of nodes) for (const v of [...n.inputs, ...subgraphReads(n)]) reads.set(v, (reads.get(v) ?? 0) + 1);
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const floats = (name: string | undefined) => {
    const t = name ? byName.get(name) : undefined;
    return t && t.dtype === 'float32' ? (t.data as Float32Array) : null;
  };
  const inSubgraphs = new Set(nodes.flatMap(subgraphReads));
  const removed = new Set<OnnxNode>();
  const renamed = new Map<string, string>();
  for (const bn of nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const conv = producer.get(bn.inputs[0]!);
    if (!conv || conv.opType !== 'Conv' || reads.get(bn.inputs[0]!) !== 1 || inSubgraphs.has(bn.outputs[0]!)) continue;
    const w = byName.get(conv.inputs[1]!);
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map(floats);
    const bias = conv.inputs[2] ? floats(conv.inputs[2]) : new Float32Array(w?.dims[0] ?? 0);
    if (!w || w.dtype !== 'float32' || !gamma || !beta || !mean || !variance || !bias) continue;
    const eps = 'f' in bn.attributes.epsilon! ? bn.attributes.epsilon.f : 1e-5;
    const K = w.dims[0]!;
    const per = w.data.length / K;
    const wd = w.data as Float32Array;
    const fw = new Float32Array(wd.length);
    const fb = new Float32Array(K);
    for (let k = 0; k < K; k++) {
      const s = gamma[k]! / Math.sqrt(variance[k]! + eps);
      for (let j = 0; j < per; j++) fw[k * per + j] = wd[k * per + j]! * s;
      fb[k] = (bias[k]! - mean[k]!) * s + beta[k]!;
    }
    // New initializers (the originals may be read elsewhere; unread ones are dropped later).
    const add = (base: string, data: Float32Array, dims: number[]) => {
      let name = base;
      for (let i = 1; byName.has(name); i++) name = `${base}_${i}`;
      const t: Initializer = { name, dims, dtype: 'float32', data };
      initializers.push(t);
      byName.set(name, t);
      return name;
    };
    conv.inputs = [conv.inputs[0]!, add(`${w.name}.folded`, fw, w.dims), add(`${bn.inputs[1]!.replace(/\.weight$/, '')}.folded_bias`, fb, [K])];
    renamed.set(bn.outputs[0]!, conv.outputs[0]!);
    removed.add(bn);
  }
  const kept = nodes.filter((n) => !removed.has(n));
  for (const n of kept) n.inputs = n.inputs.map((v) => renamed.get(v) ?? v);
  nodes.splice(0, nodes.length, ...kept);
  return renamed;
}
