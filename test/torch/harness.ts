/**
 * The PyTorch oracle's harness: runs test/torch/generate.py (Debian's /usr/bin/python3 with
 * python3-torch) once per group of cases, caches what it writes under test/torch/.cache/ by a
 * hash of the generator's sources (so a rerun costs nothing), and decodes its tensors.
 *
 * Without PyTorch the suites are reported as skipped, with the install command; with
 * DYNCONV_TORCH=required (set by .ci/run) a missing PyTorch fails instead.
 * dynconv itself never needs Python: this is a test oracle only.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromTypedArray, type Tensor } from '@dynconv/core';
import { numRuns } from '@dynconv/testing';
import { describe, it } from 'vitest';

/** Debian's Python, the one with python3-torch (a python3 earlier on PATH may have none). */
export const TORCH_PYTHON = process.env.DYNCONV_TORCH_PYTHON || '/usr/bin/python3';
export const INSTALL_COMMAND = 'apt-get install -y python3-torch python3-torchvision libopenblas0-pthread';
/** The project's property-test knob (default 12): configurations per family are a quarter of it. */
export const NUM_RUNS = numRuns();
export const CONFIGS_PER_FAMILY = Math.max(1, Math.ceil(NUM_RUNS / 4));

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const CACHE_DIR = join(HERE, '.cache');

/** A tensor as the generator writes it: raw little-endian bytes in base64. */
export interface EncodedTensor {
  dtype: 'float64' | 'float32' | 'int64' | 'bool';
  shape: number[];
  b64: string;
}

/** One op case (see torch_cases.py): inputs, options, and what PyTorch computed from them. */
export interface OpCase {
  family: string;
  op: string;
  kwargs: Record<string, unknown>;
  inputs: Record<string, EncodedTensor | null | number | boolean | string>;
  outputs?: (EncodedTensor | null)[];
  /** The random gradient given to each differentiable output, by output index. */
  gradOutputs?: Record<string, EncodedTensor>;
  grads?: Record<string, EncodedTensor>;
  second?: { v: Record<string, EncodedTensor>; grads: Record<string, EncodedTensor> };
  /** PyTorch refused the case, with this message. */
  error?: string;
  /** An entry of docs/pytorch-parity.md: dynconv gives `expected` instead of PyTorch's result. */
  deviation?: string;
  expected?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CaseGroup {
  dir: string;
  torch: string;
  cases: OpCase[];
}

let torchProblem: string | null | undefined;

/** Null when the generator can import torch and torchvision, else why not. */
export function torchUnavailable(): string | null {
  if (torchProblem !== undefined) return torchProblem;
  if (!existsSync(TORCH_PYTHON)) return (torchProblem = `${TORCH_PYTHON} does not exist`);
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  torchProblem = r.status === 0 ? null : `${TORCH_PYTHON} cannot import torch and torchvision: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return torchProblem;
}

/** Sources outside test/torch/ a group's generator imports (relative to test/torch/). */
const GROUP_DEPENDENCIES: Record<string, string[]> = { models: ['../../python/dynconv_torch/safetensors_io.py'] };

/**
 * The cache key: a hash of the sources a group runs (generate.py, torch_cases.py, the group's
 * own gen_<group>.py and what it imports from python/), the group and the run count. Editing one
 * group's generator leaves the other groups' caches (the models' is hundreds of MB) valid.
 */
function sourceHash(group: string, runs: number): string {
  const h = createHash('sha256');
  for (const f of ['generate.py', 'torch_cases.py', `gen_${group}.py`, ...(GROUP_DEPENDENCIES[group] ?? [])]) h.update(f).update(readFileSync(join(HERE, f)));
  return h.update(`${group}:${runs}`).digest('hex').slice(0, 16);
}

/** Removes the group's entries for the same run count made from older sources. */
function removeStale(group: string, runs: number, keep: string): void {
  const prefix = `${group}-${runs}-`;
  for (const name of readdirSync(CACHE_DIR)) {
    if (name.startsWith(prefix) && !name.includes('.tmp-') && join(CACHE_DIR, name) !== keep) rmSync(join(CACHE_DIR, name), { recursive: true, force: true });
  }
}

/**
 * The cases of one generator group, generated on first use and then read from the cache.
 * The generator writes into a temporary folder that is renamed into place when complete, so an
 * interrupted or concurrent run never leaves a half-written cache entry behind.
 */
export function loadGroup(group: string): CaseGroup {
  const dir = join(CACHE_DIR, `${group}-${CONFIGS_PER_FAMILY}-${sourceHash(group, CONFIGS_PER_FAMILY)}`);
  if (!existsSync(join(dir, 'cases.json'))) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = spawnSync(TORCH_PYTHON, [join(HERE, 'generate.py'), '--group', group, '--runs', String(CONFIGS_PER_FAMILY), '--out', tmp], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`generate.py --group ${group} failed (${r.status ?? r.signal}):\n${r.stderr}`);
    }
    if (existsSync(join(dir, 'cases.json'))) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, dir);
    removeStale(group, CONFIGS_PER_FAMILY, dir);
  }
  const parsed = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { torch: string; cases: OpCase[] };
  return { dir, torch: parsed.torch, cases: parsed.cases };
}

let warned = false;

/**
 * A describe block over one generator group: skipped (with the install command) when PyTorch
 * is missing, failing instead when DYNCONV_TORCH=required.
 */
export function describeTorch(name: string, group: string, body: (group: CaseGroup) => void): void {
  describeWithTorch(name, () => body(loadGroup(group)));
}

/**
 * A describe block that needs PyTorch but no generator group (a suite that runs its own Python,
 * such as weights.test.ts): skipped with the install command when PyTorch is missing, failing
 * instead when DYNCONV_TORCH=required.
 */
export function describeWithTorch(name: string, body: () => void): void {
  const problem = torchUnavailable();
  if (problem === null) {
    describe(name, body);
    return;
  }
  const message = `PyTorch not available (${problem}); install it with: ${INSTALL_COMMAND}`;
  if (process.env.DYNCONV_TORCH === 'required') {
    describe(name, () => {
      it('has PyTorch to compare against (DYNCONV_TORCH=required)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  if (!warned) console.warn(`test/torch: skipped. ${message}`);
  warned = true;
  // The suite's own body needs PyTorch to be collected (it loads the generated cases), so a
  // stand-in is reported as skipped; it states the requirement rather than passing empty.
  describe.skip(`${name} (skipped: ${message})`, () => {
    it('compares dynconv with PyTorch', () => {
      throw new Error(message);
    });
  });
}

function bytesOf(b64: string): ArrayBuffer {
  const buf = Buffer.from(b64, 'base64');
  // A fresh, aligned ArrayBuffer: typed arrays over a Buffer's pool may be misaligned.
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** The values of an encoded tensor as a flat float64 array (int64 and bool as numbers). */
export function valuesOf(t: EncodedTensor): Float64Array {
  const raw = bytesOf(t.b64);
  switch (t.dtype) {
    case 'float64':
      return new Float64Array(raw);
    case 'float32':
      return Float64Array.from(new Float32Array(raw));
    case 'int64':
      return Float64Array.from(new BigInt64Array(raw), Number);
    case 'bool':
      return Float64Array.from(new Uint8Array(raw));
  }
}

/** An encoded tensor as a dynconv tensor: floats keep their dtype, int64 becomes int32. */
export function decode(t: EncodedTensor, opts: { requiresGrad?: boolean } = {}): Tensor {
  const raw = bytesOf(t.b64);
  let out: Tensor;
  switch (t.dtype) {
    case 'float64':
      out = fromTypedArray(new Float64Array(raw), t.shape, 'float64');
      break;
    case 'float32':
      out = fromTypedArray(new Float32Array(raw), t.shape, 'float32');
      break;
    case 'int64':
      out = fromTypedArray(Int32Array.from(new BigInt64Array(raw), Number), t.shape, 'int32');
      break;
    case 'bool':
      out = fromTypedArray(new Uint8Array(raw), t.shape, 'bool');
      break;
  }
  return opts.requiresGrad ? out.requiresGrad_(true) : out;
}

export function isEncoded(v: unknown): v is EncodedTensor {
  return typeof v === 'object' && v !== null && 'b64' in v && 'shape' in v;
}
