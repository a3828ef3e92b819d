/**
 * What the ONNX tests share: onnxruntime-node sessions run against dynconv's forward, the
 * ONNX checker of Debian's python3-onnx (skipped with the install command when missing, failing
 * instead where DYNCONV_TORCH=required, as in CI), and BatchNorms with statistics that are not
 * the identity, so folding and BatchNormalization's formula both matter.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { Generator, noGrad, rand, randn, type Tensor } from '@dynconv/core';
import { BatchNorm } from '@dynconv/nn';
import { type AnyModule } from '../src/index.js';
import { ONNX_SCHEMA } from '../src/onnx-schema.js';
import { expectClose } from '@dynconv/testing';

/** The Python with python3-onnx (Debian's, as for the PyTorch suites). */
export const PYTHON = process.env.DYNCONV_TORCH_PYTHON || '/usr/bin/python3';
export const ONNX_INSTALL = 'sudo apt-get install -y python3-onnx';

/** Why python3-onnx cannot be used here, or null when it can. */
export function onnxCheckerUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON}: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} cannot import onnx`;
  return null;
}

/**
 * Runs onnx.checker.check_model(full_check=True) (structure, operator schemas, and strict shape
 * inference) on each file; returns one line per file, 'ok' or the checker's error.
 */
export function checkModels(files: readonly string[]): Map<string, string> {
  const script = [
    'import json, sys, onnx',
    'out = {}',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    "        out[f] = 'ok'",
    '    except Exception as e:',
    '        out[f] = str(e)[-2000:]',
    'print(json.dumps(out))',
  ].join('\n');
  const stdout = execFileSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Map(Object.entries(JSON.parse(stdout) as Record<string, string>));
}

/** Running statistics and affine parameters that are not the identity. */
export function randomizeBatchNorms(model: AnyModule, seed: number): void {
  const g = new Generator(seed);
  noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm) || !m.runningMean) continue;
      const c = [m.numFeatures];
      m.runningMean.copy_(randn(c, { generator: g }).mul(0.2));
      m.runningVar!.copy_(rand(c, { generator: g }).mul(0.8).add(0.6));
      m.weight?.copy_(rand(c, { generator: g }).mul(0.8).add(0.6));
      m.bias?.copy_(randn(c, { generator: g }).mul(0.2));
    }
  });
}

export const forward = (m: AnyModule, x: Tensor): Tensor => noGrad(() => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));

/** A session on the model's bytes (one thread: the tests run beside others). */
export function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** onnxruntime's output for x. */
export async function runOrt(s: ort.InferenceSession, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, [...x.shape]) });
  const y = out[s.outputNames[0]!]!;
  return { data: y.data as Float32Array, dims: y.dims };
}

/**
 * onnxruntime's output for x matches dynconv's forward to 1e-4 of the output's largest
 * magnitude, elementwise (and has its shape); returns the worst difference relative to it.
 */
export async function expectOrtMatches(s: ort.InferenceSession, model: AnyModule, x: Tensor, label: string): Promise<number> {
  const ref = forward(model, x);
  const got = await runOrt(s, x);
  const want = ref.dataSync() as Float32Array;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    worst = Math.max(worst, Math.abs(want[i]! - got.data[i]!));
  }
  if ([...got.dims].join(',') !== ref.shape.join(',')) throw new Error(`${label}: onnxruntime's output has shape [${got.dims.join(', ')}], dynconv's [${ref.shape.join(', ')}]`);
  expectClose(got.data, want, { rtol: 0, atol: 1e-4 * scale, label });
  return worst / scale;
}

/** The exported bytes decoded by protobufjs's reflection (the full build) from the package's ONNX schema. */
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
  const ModelProto = root.lookupType('onnx.ModelProto');
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, any>;
}

/** How many nodes of each operator the main graph has. */
export function opCounts(bytes: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(bytes).graph.node as { op_type: string }[]) counts[n.op_type] = (counts[n.op_type] ?? 0) + 1;
  return counts;
}
