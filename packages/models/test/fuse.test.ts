/**
 * Inference fusion of the zoo (fuse.ts, nn's fuseModules): every Conv2d + BatchNorm2d (+ its
 * own ReLU) of the static backbones is folded, and the fused model's eval outputs equal the
 * unfused model's: in float64 to 1e-10, in float32 to float32 rounding.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, type Tensor, tidy } from '@dynconv/core';
import { BatchNorm2d, Conv2d, type Module } from '@dynconv/nn';
import { dyResnet18, fuseForInference, fusionGroups, mobilenetV2, mobilenetV3Small, resnet18, resnet50, shufflenetV2 } from '../src/index.js';

type AnyModule = Module<never[], unknown>;
const forward = (m: AnyModule, x: Tensor): Tensor => (m as unknown as { forward(x: Tensor): Tensor }).forward(x);
const maxRelErr = (a: Float64Array | Float32Array, b: Float64Array | Float32Array) => {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / scale;
};

/** Running statistics and affine parameters that are not the identity, so folding matters. */
function randomizeBatchNorms(model: AnyModule, seed: number): void {
  const g = new Generator(seed);
  noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      const c = m.numFeatures;
      const d = { generator: g, dtype: m.runningMean!.dtype };
      m.runningMean!.copy_(randn([c], d).mul(0.1));
      m.runningVar!.copy_(randn([c], d).abs().add(0.5));
      m.weight!.copy_(randn([c], d).mul(0.2).add(1));
      m.bias!.copy_(randn([c], d).mul(0.1));
    }
  });
}

const BUILDERS: [string, (dtype: 'float32' | 'float64') => AnyModule][] = [
  ['resnet18', (dtype) => resnet18({ numClasses: 10, dtype, generator: new Generator(1) })],
  ['resnet50', (dtype) => resnet50({ numClasses: 10, dtype, generator: new Generator(2), widthMult: 0.25 })],
  ['mobilenetV2', (dtype) => mobilenetV2({ numClasses: 10, dtype, generator: new Generator(3), widthMult: 0.5 })],
  ['mobilenetV3Small', (dtype) => mobilenetV3Small({ numClasses: 10, dtype, generator: new Generator(4), widthMult: 0.5 })],
  ['shufflenetV2', (dtype) => shufflenetV2({ numClasses: 10, dtype, generator: new Generator(5), widthMult: 0.5 })],
];

describe('fuseForInference', () => {
  it.each(BUILDERS)('%s: every BatchNorm2d is folded, and eval outputs are unchanged (float64)', (_, build) => {
    const model = build('float64');
    randomizeBatchNorms(model, 7);
    model.eval();
    const x = randn([2, 3, 40, 40], { dtype: 'float64', generator: new Generator(9) });
    const before = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float64Array;
    const bnCount = model.modules().filter((m) => m instanceof BatchNorm2d).length;
    expect(fusionGroups(model).length).toBe(bnCount);
    fuseForInference(model);
    expect(model.modules().filter((m) => m instanceof BatchNorm2d).length).toBe(0);
    const after = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float64Array;
    expect(maxRelErr(after, before)).toBeLessThan(1e-10);
  });

  it('mobilenetV2 in float32: outputs agree to float32 rounding, and ReLU6s are fused into the convs', () => {
    const model = mobilenetV2({ numClasses: 10, generator: new Generator(3), widthMult: 0.5 });
    randomizeBatchNorms(model, 8);
    model.eval();
    const x = randn([1, 3, 48, 48], { generator: new Generator(4) });
    const before = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float32Array;
    fuseForInference(model);
    const withAct = model.modules().filter((m) => m instanceof Conv2d && m.opts.activation === 'relu6').length;
    expect(withAct).toBeGreaterThan(10);
    const after = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float32Array;
    expect(maxRelErr(after, before)).toBeLessThan(1e-4);
  });

  it('folds the static convs of a Dy-model and leaves its dynamic ones', () => {
    const model = dyResnet18({ numClasses: 10, generator: new Generator(6), widthMult: 0.25 });
    randomizeBatchNorms(model, 9);
    model.eval();
    const x = randn([2, 3, 32, 32], { generator: new Generator(5) });
    const before = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float32Array;
    const groups = fusionGroups(model);
    expect(groups.length).toBeGreaterThan(0);
    fuseForInference(model);
    const after = tidy(() => noGrad(() => forward(model, x))).dataSync() as Float32Array;
    expect(maxRelErr(after, before)).toBeLessThan(1e-4);
  });
});
