/**
 * The graph under construction: what a converter writes to. Values carry their shapes (the
 * example input's, with the batch at dim 0 exported as the symbolic dim `N`), so the helpers
 * can build Reshape targets that keep the batch dynamic and the exporter can check the graph
 * against a real forward pass.
 */
import { computeConv2dInfo, type Pair, type Tensor } from '@dynconv/core';
import type { ProtoMessage } from './protobuf.js';

/** Element type of an ONNX value: float32 for activations and weights, int64 for shapes and axes. */
export type OnnxDType = 'float32' | 'int64';

/** ONNX's TensorProto.DataType numbers. */
const DATA_TYPE: Record<OnnxDType, number> = { float32: 1, int64: 7 };

/** A value (tensor) of the graph: an input, an initializer, or a node output. */
export interface OnnxValue {
  /** Its name in the graph. */
  readonly name: string;
  /** Its shape for the example input (dim 0 is the example's batch size when `batched`). */
  readonly shape: readonly number[];
  /** Whether dim 0 is the batch, which the exported graph leaves dynamic (`N`). */
  readonly batched: boolean;
  /** Element type. */
  readonly dtype: OnnxDType;
}

/**
 * A node attribute, written as ONNX's AttributeProto spells its value fields: `{ i: 1 }` an
 * int, `{ f: 1e-5 }` a float, `{ ints: [1, 1] }`, `{ floats: [...] }`, `{ s: 'text' }`, or
 * `{ g: graph }` a subgraph (from {@link OnnxGraph.subgraph}), `{ t: tensor }` a tensor
 * (a Constant's value).
 */
export type OnnxAttribute =
  | {
    /** An int (INT). */
    readonly i: number;
  }
  | {
    /** A float (FLOAT). */
    readonly f: number;
  }
  | {
    /** A string (STRING). */
    readonly s: string;
  }
  | {
    /** A list of ints (INTS). */
    readonly ints: readonly number[];
  }
  | {
    /** A list of floats (FLOATS). */
    readonly floats: readonly number[];
  }
  | {
    /** A subgraph (GRAPH). */
    readonly g: OnnxSubgraph;
  }
  | {
    /** A tensor (TENSOR), such as a Constant's value. */
    readonly t: Initializer;
  };

/** A finished subgraph (a Scan or Loop body), to pass as a `{ g }` attribute. */
export interface OnnxSubgraph {
  /** The GraphProto message. */
  readonly proto: ProtoMessage;
  /** Every value name the body's nodes read (its own and the outer graphs'). */
  readonly reads: readonly string[];
}

/** The geometry of {@link OnnxGraph.conv}: what Conv2d's options hold. */
export interface ConvGeometry {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** A number, [h, w], 'valid' or 'same' (stride 1), as Conv2d takes it (default 0). */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
}

/** An initializer: a constant the graph stores (a weight, a shape, an axis list). */
export interface Initializer {
  /** Its name in the graph. */
  name: string;
  /** Its shape. */
  dims: number[];
  /** Element type. */
  dtype: OnnxDType;
  /** The elements, row-major. */
  data: Float32Array | BigInt64Array;
}

/** One node: an ONNX operator applied to named values. */
export interface OnnxNode {
  /** The operator (`Conv`, `Relu`, ...; default domain). */
  opType: string;
  /** A name unique in the model (the module path and the operator). */
  name: string;
  /** Input value names ('' for an omitted optional input). */
  inputs: string[];
  /** Output value names. */
  outputs: string[];
  /** Attributes by name. */
  attributes: Record<string, OnnxAttribute>;
}

/** What the names of a whole model share, subgraphs included: every name is unique. */
class NameTable {
  private readonly used = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** Numpy-style broadcasting of two shapes. */
function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Pooled size along one dim (PyTorch's rule, which ONNX's pooling shares). */
function poolSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // A last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * The graph a converter builds into. Helpers add one node each and return its output (with
 * its shape); {@link OnnxGraph.node} adds any operator. Weights become initializers named by
 * their state-dict keys. The scope (`layer1.0.conv1`) names the nodes of the module being
 * converted.
 */
export class OnnxGraph {
  /** The nodes, in topological order (the order they were added). */
  readonly nodes: OnnxNode[] = [];
  /** Initializers; subgraphs put theirs in the outermost graph's list. */
  readonly initializers: Initializer[];
  private readonly names: NameTable;
  private readonly tensorValues: Map<Tensor, OnnxValue>;
  /** The module path the nodes being added belong to. */
  scope = '';

  constructor(
    /** The state-dict key of each parameter and buffer, which names its initializer. */
    private readonly tensorNames: ReadonlyMap<Tensor, string> = new Map(),
    parent?: OnnxGraph,
  ) {
    this.names = parent ? parent.names : new NameTable();
    this.initializers = parent ? parent.initializers : [];
    this.tensorValues = parent ? parent.tensorValues : new Map();
    this.isBody = parent !== undefined;
    this.root = parent ? parent.root : this;
  }

  /** The outermost graph (this one, unless this is a subgraph). */
  private readonly root: OnnxGraph;

  /** Whether this is a subgraph's body (whose constants are Constant nodes, so it is self-contained). */
  readonly isBody: boolean;

  /** A fresh value name (unique in the model) built from `base`. */
  uniqueName(base: string): string {
    return this.names.unique(base);
  }

  /** A named value of the graph: a graph input, say. Claims the name. */
  value(name: string, shape: readonly number[], opts: { batched?: boolean; dtype?: OnnxDType } = {}): OnnxValue {
    return { name: this.names.unique(name), shape: [...shape], batched: opts.batched ?? false, dtype: opts.dtype ?? 'float32' };
  }

  /**
   * A dynconv tensor as an initializer (float32), named by its state-dict key when it has one.
   * The same tensor twice gives the same initializer.
   */
  weight(t: Tensor, name?: string): OnnxValue {
    const known = this.tensorValues.get(t);
    if (known) return known;
    const data = t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as ArrayLike<number>, Number);
    // Always an initializer of the outermost graph, which every subgraph may read.
    const v = this.root.constant(data, t.shape, name ?? this.tensorNames.get(t) ?? `${this.scope || 'const'}.weight`);
    this.tensorValues.set(t, v);
    return v;
  }

  /** A float32 initializer with these elements and shape. */
  constant(data: Float32Array | readonly number[], shape: readonly number[], name = `${this.scope || 'const'}.const`): OnnxValue {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const n = shape.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`OnnxGraph.constant: ${values.length} values for shape [${shape.join(', ')}]`);
    return this.store({ name, dims: [...shape], dtype: 'float32', data: values });
  }

  /** An int64 initializer (a shape, axes, split sizes), 1-D unless `shape` says otherwise. */
  int64(values: readonly number[], name = `${this.scope || 'const'}.ints`, shape: readonly number[] = [values.length]): OnnxValue {
    return this.store({ name, dims: [...shape], dtype: 'int64', data: BigInt64Array.from(values, (x) => BigInt(x)) });
  }

  /** A constant: an initializer of the model, or inside a subgraph a Constant node of its own. */
  private store(t: Initializer): OnnxValue {
    if (this.isBody) return this.node('Constant', [], { value: { t: { ...t, name: '' } } }, t.dims, { batched: false, dtype: t.dtype });
    const v = this.value(t.name, t.dims, { dtype: t.dtype });
    this.initializers.push({ ...t, name: v.name });
    return v;
  }

  /**
   * Adds one node of `opType` and returns its outputs, one per entry of `outputs` (each a shape,
   * and whether dim 0 is the batch, and its dtype: float32 unless given).
   */
  nodeN(
    opType: string,
    inputs: readonly (OnnxValue | null)[],
    attributes: Record<string, OnnxAttribute>,
    outputs: readonly { shape: readonly number[]; batched: boolean; dtype?: OnnxDType }[],
  ): OnnxValue[] {
    const name = this.names.unique(`${this.scope ? `${this.scope}/` : ''}${opType}`);
    const outs = outputs.map((o, i) => ({ name: this.names.unique(`${name}:${i}`), shape: [...o.shape], batched: o.batched, dtype: o.dtype ?? 'float32' }));
    this.nodes.push({ opType, name, inputs: inputs.map((v) => v?.name ?? ''), outputs: outs.map((o) => o.name), attributes });
    return outs;
  }

  /** Adds one node with one output of `shape` (batched as its first input unless told). */
  node(opType: string, inputs: readonly (OnnxValue | null)[], attributes: Record<string, OnnxAttribute>, shape: readonly number[], opts: { batched?: boolean; dtype?: OnnxDType } = {}): OnnxValue {
    const batched = opts.batched ?? inputs.find((v) => v)?.batched ?? false;
    return this.nodeN(opType, inputs, attributes, [{ shape, batched, dtype: opts.dtype }])[0]!;
  }

  // ---- elementwise ---------------------------------------------------------------------------

  /** A one-input elementwise operator (`Relu`, `Sigmoid`, `HardSwish`, ...). */
  unary(opType: string, x: OnnxValue, attributes: Record<string, OnnxAttribute> = {}): OnnxValue {
    return this.node(opType, [x], attributes, x.shape);
  }

  /** A broadcasting two-input operator (`Add`, `Mul`, `Sub`, `Div`). */
  binary(opType: string, a: OnnxValue, b: OnnxValue): OnnxValue {
    const shape = broadcastShapes(a.shape, b.shape, opType);
    const batched = (a.batched && a.shape.length === shape.length) || (b.batched && b.shape.length === shape.length);
    return this.node(opType, [a, b], {}, shape, { batched });
  }

  /** a + b, broadcasting. */
  add(a: OnnxValue, b: OnnxValue): OnnxValue {
    return this.binary('Add', a, b);
  }

  /** a * b, broadcasting. */
  mul(a: OnnxValue, b: OnnxValue): OnnxValue {
    return this.binary('Mul', a, b);
  }

  /** max(x, 0). */
  relu(x: OnnxValue): OnnxValue {
    return this.unary('Relu', x);
  }

  /** min(max(x, lo), hi), as Clip with constant bounds. */
  clip(x: OnnxValue, lo: number, hi: number): OnnxValue {
    const bounds = (v: number, what: string) => this.constant([v], [], `${this.scope || 'clip'}.${what}`);
    return this.node('Clip', [x, bounds(lo, 'min'), bounds(hi, 'max')], {}, x.shape);
  }

  /** 1 / (1 + exp(-x)). */
  sigmoid(x: OnnxValue): OnnxValue {
    return this.unary('Sigmoid', x);
  }

  // ---- linear algebra ------------------------------------------------------------------------

  /** Numpy-style matmul (batched over the leading dims, broadcasting). */
  matmul(a: OnnxValue, b: OnnxValue): OnnxValue {
    if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`MatMul: needs two operands of rank >= 2, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [k2, n] = b.shape.slice(-2) as [number, number];
    if (k !== k2) throw new Error(`MatMul: inner dims differ, [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`);
    const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    const shape = [...lead, m, n];
    const batched = (a.batched && a.shape.length === shape.length) || (b.batched && b.shape.length === shape.length);
    return this.node('MatMul', [a, b], {}, shape, { batched });
  }

  /** x [N, in] W^T + b with W [out, in] (Linear): Gemm with transB. */
  gemm(x: OnnxValue, w: OnnxValue, b: OnnxValue | null): OnnxValue {
    if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
      throw new Error(`Gemm: expects x [N, in] and W [out, in], got [${x.shape.join(', ')}] and [${w.shape.join(', ')}]`);
    }
    return this.node('Gemm', b ? [x, w, b] : [x, w], { transB: { i: 1 } }, [x.shape[0]!, w.shape[0]!]);
  }

  /**
   * 2-D convolution of x [N, C, H, W] with w [K, C / groups, kh, kw] (a weight or any value)
   * and an optional bias [K], with Conv2d's geometry.
   */
  conv(x: OnnxValue, w: OnnxValue, b: OnnxValue | null, geometry: ConvGeometry = {}): OnnxValue {
    const info = computeConv2dInfo(x.shape, w.shape, geometry, 'Conv');
    const [top, bottom, left, right] = info.padding;
    const attributes: Record<string, OnnxAttribute> = {
      kernel_shape: { ints: w.shape.slice(2) },
      strides: { ints: info.stride },
      pads: { ints: [top, left, bottom, right] },
      dilations: { ints: info.dilation },
      group: { i: info.groups },
    };
    return this.node('Conv', b ? [x, w, b] : [x, w], attributes, info.outShape);
  }

  // ---- shapes --------------------------------------------------------------------------------

  /**
   * x reshaped to `shape` (one entry may be -1). A batched value keeps its batch: dim 0 of the
   * target is written as 0 ("copy the input's"), whatever `shape[0]` says.
   */
  reshape(x: OnnxValue, shape: readonly number[]): OnnxValue {
    const n = x.shape.reduce((a, b) => a * b, 1);
    const dims = [...shape];
    if (x.batched) dims[0] = x.shape[0]!;
    const known = dims.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const out = dims.map((d) => (d === -1 ? n / known : d));
    if (out.reduce((a, b) => a * b, 1) !== n || !out.every(Number.isInteger)) throw new Error(`Reshape: cannot view [${x.shape.join(', ')}] as [${shape.join(', ')}]`);
    const target = x.batched ? [0, ...dims.slice(1)] : dims;
    return this.node('Reshape', [x, this.int64(target, `${this.scope || 'reshape'}.shape`)], {}, out);
  }

  /** ONNX's Flatten: [d0 * ... * d(axis-1), d(axis) * ... * d(last)]; axis 1 keeps the batch. */
  flatten(x: OnnxValue, axis = 1): OnnxValue {
    const head = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const tail = x.shape.slice(axis).reduce((a, b) => a * b, 1);
    return this.node('Flatten', [x], { axis: { i: axis } }, [head, tail], { batched: x.batched && axis === 1 });
  }

  /** The dims of x permuted (a batched value must keep its batch first). */
  transpose(x: OnnxValue, perm: readonly number[]): OnnxValue {
    if (x.batched && perm[0] !== 0) throw new Error('Transpose: a batched value must keep its batch at dim 0');
    return this.node('Transpose', [x], { perm: { ints: perm } }, perm.map((p) => x.shape[p]!));
  }

  /** The values joined along `axis`. */
  concat(xs: readonly OnnxValue[], axis: number): OnnxValue {
    const shape = [...xs[0]!.shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
    return this.node('Concat', xs, { axis: { i: axis } }, shape);
  }

  /** x cut along `axis` into consecutive pieces of these sizes. */
  split(x: OnnxValue, axis: number, sizes: readonly number[]): OnnxValue[] {
    if (sizes.reduce((a, b) => a + b, 0) !== x.shape[axis]) throw new Error(`Split: sizes ${sizes.join(' + ')} do not add up to dim ${axis} of [${x.shape.join(', ')}]`);
    const outputs = sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === axis ? s : d)), batched: x.batched }));
    return this.nodeN('Split', [x, this.int64(sizes, `${this.scope || 'split'}.split`)], { axis: { i: axis } }, outputs);
  }

  // ---- pooling -------------------------------------------------------------------------------

  /** Mean over H and W, keeping them as 1: [N, C, H, W] -> [N, C, 1, 1]. */
  globalAveragePool(x: OnnxValue): OnnxValue {
    return this.node('GlobalAveragePool', [x], {}, [x.shape[0]!, x.shape[1]!, 1, 1]);
  }

  /** `MaxPool` or `AveragePool` over [N, C, H, W] windows, with PyTorch's geometry. */
  pool(
    opType: 'MaxPool' | 'AveragePool',
    x: OnnxValue,
    kernel: Pair,
    o: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean; countIncludePad?: boolean } = {},
  ): OnnxValue {
    const [kh, kw] = pairOf(kernel);
    const [sh, sw] = pairOf(o.stride ?? [kh, kw]);
    const [ph, pw] = pairOf(o.padding ?? 0);
    const [dh, dw] = pairOf(o.dilation ?? 1);
    const ceil = o.ceilMode ?? false;
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const attributes: Record<string, OnnxAttribute> = { kernel_shape: { ints: [kh, kw] }, strides: { ints: [sh, sw] }, pads: { ints: [ph, pw, ph, pw] }, ceil_mode: { i: ceil ? 1 : 0 } };
    if (opType === 'MaxPool') attributes.dilations = { ints: [dh, dw] };
    else if (dh !== 1 || dw !== 1) throw new Error('AveragePool: no dilation');
    else attributes.count_include_pad = { i: (o.countIncludePad ?? true) ? 1 : 0 };
    return this.node(opType, [x], attributes, [N, C, poolSize(H, kh, sh, ph, dh, ceil), poolSize(W, kw, sw, pw, dw, ceil)]);
  }

  // ---- subgraphs -----------------------------------------------------------------------------

  /**
   * A subgraph (a Scan or Loop body): `build` gets a graph whose nodes go into the body and the
   * body's inputs (named, shaped), and returns the body's outputs. Names stay unique across the
   * model; constants the body makes go to the outermost graph, which the body may read.
   */
  subgraph(
    name: string,
    inputs: readonly { shape: readonly number[]; dtype?: OnnxDType }[],
    build: (body: OnnxGraph, inputs: OnnxValue[]) => OnnxValue[],
  ): OnnxSubgraph {
    const body = new OnnxGraph(this.tensorNames, this);
    body.scope = this.scope;
    const ins = inputs.map((s, i) => body.value(`${this.scope ? `${this.scope}/` : ''}${name}_in${i}`, s.shape, { dtype: s.dtype }));
    const outs = build(body, ins);
    return {
      proto: {
        name: this.names.unique(`${this.scope ? `${this.scope}/` : ''}${name}`),
        node: body.nodes.map(nodeProto),
        input: ins.map((v) => valueInfo(v)),
        output: outs.map((v) => valueInfo(v)),
      },
      reads: [...new Set(body.nodes.flatMap((n) => [...n.inputs, ...subgraphReads(n)]))].filter(Boolean),
    };
  }
}

/** The names read by the subgraphs of a node's attributes. */
export function subgraphReads(n: OnnxNode): string[] {
  return Object.values(n.attributes).flatMap((a) => ('g' in a ? [...a.g.reads] : []));
}

/** A value's ValueInfoProto: float32 or int64 tensor, batch dim as `batchDim` when batched. */
export function valueInfo(v: OnnxValue, batchDim?: string): ProtoMessage {
  const dim = v.shape.map((d, i) => (i === 0 && v.batched && batchDim ? { dim_param: batchDim } : { dim_value: d }));
  return { name: v.name, type: { tensor_type: { elem_type: DATA_TYPE[v.dtype], shape: { dim } } } };
}

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7 } as const;

function attributeProto(name: string, a: OnnxAttribute): ProtoMessage {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ('s' in a) return { name, type: AttributeType.STRING, s: a.s };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  if ('t' in a) return { name, type: AttributeType.TENSOR, t: tensorProto(a.t) };
  return { name, type: AttributeType.GRAPH, g: a.g.proto };
}

/** A node's NodeProto. */
export function nodeProto(n: OnnxNode): ProtoMessage {
  return {
    input: n.inputs,
    output: n.outputs,
    name: n.name,
    op_type: n.opType,
    attribute: Object.entries(n.attributes).map(([k, a]) => attributeProto(k, a)),
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The elements as little-endian bytes (ONNX's raw_data layout). */
function rawBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const size = data.BYTES_PER_ELEMENT;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) swapped[i + j] = bytes[i + size - 1 - j]!;
  return swapped;
}

/** An initializer's TensorProto. */
export function tensorProto(t: Initializer): ProtoMessage {
  return { dims: t.dims, data_type: DATA_TYPE[t.dtype], name: t.name, raw_data: rawBytes(t.data) };
}
