/**
 * The five torchvision backbones vs torchvision itself: a state dict exported by PyTorch (after
 * BatchNorm statistics from train-mode batches) loads strictly with identical key order and
 * shapes; eval logits agree in float64 (1e-9) and float32 (1e-4); one train-mode step gives the
 * same logits, the same updated BatchNorm buffers and the same parameter gradients (1e-9).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cast, noGrad, sum, type Tensor } from '@dynconv/core';
import { decodeSafetensors, type Module } from '@dynconv/nn';
import { type ModelName, MODELS } from '@dynconv/models';
import { expect, it } from 'vitest';
import { FLOAT64_RTOL, ParitySummary, relativeError } from './compare.js';
import { decode, describeTorch, type EncodedTensor } from './harness.js';

/** float32 logits against PyTorch's float32 run of the same weights. */
const FLOAT32_RTOL = 1e-4;

type Forward = Module & { forward(x: Tensor): Tensor };

function readSafetensors(dir: string, file: string): Record<string, Tensor> {
  const bytes = readFileSync(join(dir, file));
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).tensors;
}

describeTorch('PyTorch parity: torchvision models', 'models', ({ cases, dir }) => {
  const summary = new ParitySummary('models');
  for (const c of cases) {
    const name = c.op as ModelName;
    const build = (dtype: 'float32' | 'float64'): Forward => MODELS[name]({ ...(c.options as object), dtype }) as Forward;
    const tensorOf = (k: string) => decode(c[k] as EncodedTensor);
    const record = (err: number) => summary.record(`model/${c.torchvision as string}`, err, (c.deviations as string[])[0]);

    it(`${name}: the exported state dict loads strictly, same key order and shapes as torchvision`, () => {
      const model = build('float64');
      const own = Object.entries(model.stateDict()).map(([k, t]) => [k, [...t.shape]]);
      expect(own).toEqual(c.keys);
      const state = readSafetensors(dir, c.state as string);
      expect(Object.keys(state)).toEqual((c.keys as [string, number[]][]).map(([k]) => k));
      expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    });

    it(`${name}: eval logits (float64 to 1e-9, float32 to 1e-4)`, () => {
      const state = readSafetensors(dir, c.state as string);
      const model = build('float64');
      model.loadStateDict(state);
      model.eval();
      const err = relativeError(noGrad(() => model.forward(tensorOf('xEval'))), c.yEval as EncodedTensor, undefined, 'eval logits');
      expect(err, `float64 eval logits: relative error ${err}`).toBeLessThanOrEqual(FLOAT64_RTOL);
      const model32 = build('float32');
      model32.loadStateDict(state);
      model32.eval();
      const err32 = relativeError(noGrad(() => model32.forward(cast(tensorOf('xEval'), 'float32'))), c.yEval32 as EncodedTensor, undefined, 'float32 eval logits');
      expect(err32, `float32 eval logits: relative error ${err32}`).toBeLessThanOrEqual(FLOAT32_RTOL);
      record(err);
    });

    it(`${name}: train mode: logits, updated BatchNorm buffers and every parameter gradient (float64 to 1e-9)`, () => {
      const model = build('float64');
      model.loadStateDict(readSafetensors(dir, c.state as string));
      model.train();
      const y = model.forward(tensorOf('xTrain'));
      let worst = relativeError(y, c.yTrain as EncodedTensor, undefined, 'train logits');
      expect(worst, `train-mode logits: relative error ${worst}`).toBeLessThanOrEqual(FLOAT64_RTOL);
      sum(y.mul(tensorOf('gradOut'))).backward();
      const after = readSafetensors(dir, c.after as string);
      const own = model.stateDict();
      const params = new Map(model.namedParameters());
      const bad: string[] = [];
      for (const [k, want] of Object.entries(after)) {
        const got = k.startsWith('grad.') ? params.get(k.slice(5))?.grad : own[k];
        if (!got) throw new Error(`${k}: dynconv has no such ${k.startsWith('grad.') ? 'gradient' : 'buffer'}`);
        const e = relativeError(got, want.dataSync() instanceof Float64Array ? (want.dataSync() as Float64Array) : Float64Array.from(want.dataSync()), want.shape, k);
        if (!(e <= FLOAT64_RTOL)) bad.push(`${k}: ${e}`);
        worst = Math.max(worst, e);
      }
      expect(bad.join('\n'), 'buffers and gradients off by more than 1e-9 relative').toBe('');
      expect(Object.keys(after).filter((k) => k.startsWith('grad.'))).toHaveLength(params.size);
      record(worst);
    });
  }
});
