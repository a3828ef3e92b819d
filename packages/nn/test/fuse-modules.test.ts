/**
 * Inference fusion (fuse-modules.ts): a Conv2d with its BatchNorm2d folded in (and a ReLU in
 * the same pass) computes what the eval-mode modules computed, over generated convolutions;
 * fuseModules replaces modules in place, checks every group first, and refuses training mode;
 * Conv2d's activation option is differentiable like the ops it stands for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, noGrad, randn, relu, relu6, type Tensor } from '@dynconv/core';
import { runs } from '@dynconv/testing';
import { BatchNorm2d, Conv2d, fuseConvBn, fuseModules, Identity, ReLU, ReLU6, Sequential } from '../src/index.js';

function randomBn(c: number, g: Generator, affine: boolean): BatchNorm2d {
  const bn = new BatchNorm2d(c, { dtype: 'float64', affine });
  noGrad(() => {
    bn.runningMean!.copy_(randn([c], { generator: g, dtype: 'float64' }));
    bn.runningVar!.copy_(randn([c], { generator: g, dtype: 'float64' }).abs().add(0.1));
    if (affine) {
      bn.weight!.copy_(randn([c], { generator: g, dtype: 'float64' }));
      bn.bias!.copy_(randn([c], { generator: g, dtype: 'float64' }));
    }
  });
  return bn.eval();
}

const maxAbs = (a: Tensor, b: Tensor) => Math.max(...Array.from(a.sub(b).abs().dataSync()), 0);

describe('fuseConvBn', () => {
  it('computes act(bn(conv(x))) of the eval-mode modules (float64, generated convolutions)', () => {
    fc.assert(
      fc.property(
        fc.record({
          groups: fc.constantFrom(1, 2), cin: fc.integer({ min: 1, max: 3 }), cout: fc.integer({ min: 1, max: 3 }), k: fc.constantFrom(1, 3),
          stride: fc.constantFrom(1, 2), bias: fc.boolean(), affine: fc.boolean(), act: fc.constantFrom(undefined, 'relu' as const, 'relu6' as const), withBn: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        ({ groups, cin, cout, k, stride, bias, affine, act, withBn, seed }) => {
          const g = new Generator(seed);
          const conv = new Conv2d(cin * groups, cout * groups, k, { groups, stride, padding: (k - 1) / 2, bias, dtype: 'float64', generator: g });
          const bn = withBn ? randomBn(cout * groups, g, affine) : null;
          const x = randn([2, cin * groups, 5, 6], { generator: g, dtype: 'float64' }).mul(3);
          const fused = fuseConvBn(conv, bn, act);
          noGrad(() => {
            let want = conv.forward(x);
            if (bn) want = bn.forward(want);
            if (act) want = act === 'relu' ? relu(want) : relu6(want);
            expect(maxAbs(fused.forward(x), want)).toBeLessThan(1e-12);
          });
        },
      ),
      runs(),
    );
  });

  it('refuses what it cannot fold, naming the problem', () => {
    const conv = new Conv2d(2, 3, 3);
    expect(() => fuseConvBn(conv, new BatchNorm2d(4))).toThrow(/4 features, the conv 3 output channels/);
    expect(() => fuseConvBn(conv, new BatchNorm2d(3, { trackRunningStats: false }))).toThrow(/no running statistics/);
    expect(() => fuseConvBn(new Conv2d(2, 3, 3, { activation: 'relu' }), null)).toThrow(/already applies relu/);
    expect(() => new Conv2d(2, 3, 3, { activation: 'gelu' as 'relu' })).toThrow(/Conv2d: activation must be 'relu' or 'relu6'/);
  });
});

describe('fuseModules', () => {
  const build = () => {
    const g = new Generator(3);
    const net = new Sequential(new Conv2d(2, 4, 3, { padding: 1, dtype: 'float64', generator: g }), randomBn(4, g, true), new ReLU(), new Conv2d(4, 4, 1, { dtype: 'float64', generator: g }), randomBn(4, g, true), new ReLU6());
    return net.eval();
  };

  it('replaces the modules in place (Identity for the folded ones) and keeps the eval outputs', () => {
    const net = build();
    const x = randn([2, 2, 6, 6], { dtype: 'float64', generator: new Generator(1) });
    const before = noGrad(() => net.forward(x));
    fuseModules(net, [['0', '1', '2'], ['3', '4', '5']]);
    expect(net.at(1)).toBeInstanceOf(Identity);
    expect(net.at(2)).toBeInstanceOf(Identity);
    expect((net.at(0) as Conv2d).opts.activation).toBe('relu');
    expect((net.at(3) as Conv2d).opts.activation).toBe('relu6');
    expect(Object.keys(net.stateDict())).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
    expect(maxAbs(noGrad(() => net.forward(x)), before)).toBeLessThan(1e-12);
  });

  it('checks every group before changing anything, and refuses training mode', () => {
    const net = build();
    const keys = Object.keys(net.stateDict());
    expect(() => fuseModules(net, [['0', '1'], ['3', '5', '4']])).toThrow(/cannot fuse \[3, 5, 4\] \(Conv2d, ReLU6, BatchNorm2d\)/);
    expect(() => fuseModules(net, [['0', '9']])).toThrow(/no submodule '9'/);
    expect(Object.keys(net.stateDict())).toEqual(keys);
    expect(() => fuseModules(net.train(), [['0', '1']])).toThrow(/training mode; call model.eval\(\) first/);
  });

  it("Conv2d's activation is differentiable (the composed path when gradients are needed)", () => {
    const g = new Generator(5);
    const conv = new Conv2d(2, 3, 3, { dtype: 'float64', generator: g, activation: 'relu6' });
    const x = randn([1, 2, 4, 4], { dtype: 'float64', generator: g }).mul(0.3).requiresGrad_();
    expect(gradcheck((xx) => conv.forward(xx), [x])).toBe(true);
  });
});
