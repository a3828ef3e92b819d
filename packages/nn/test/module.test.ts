import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, Generator, gradcheck, linear, memory, randn, tensor, type Tensor } from '@dynconv/core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Identity, init, Linear, Module, ModuleList, ReLU, Sequential, SqueezeExcitation,
} from '../src/index.js';
import { checkParamGradient, expectClose, runs } from '@dynconv/testing';

class Block extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly scale: Tensor;
  constructor(c: number, g: Generator) {
    super();
    this.conv1 = this.module('conv1', new Conv2d(c, c, 3, { padding: 1, bias: false, generator: g, dtype: 'float64' }));
    this.bn1 = this.module('bn1', new BatchNorm2d(c, { dtype: 'float64' }));
    this.scale = this.param('scale', tensor([1.5], { dtype: 'float64' }));
  }
  forward(x: Tensor): Tensor {
    return this.bn1.forward(this.conv1.forward(x)).relu().mul(this.scale);
  }
}

class Net extends Module {
  readonly stem: Conv2d;
  readonly layer1: Sequential;
  readonly head: Linear;
  constructor(g = new Generator(0)) {
    super();
    this.stem = this.module('stem', new Conv2d(1, 4, 3, { generator: g, dtype: 'float64' }));
    this.layer1 = this.module('layer1', new Sequential(new Block(4, g), new Block(4, g)));
    this.head = this.module('head', new Linear(4, 3, { generator: g, dtype: 'float64' }));
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.layer1.forward(this.stem.forward(x)).mean([2, 3]));
  }
}

describe('Module', () => {
  it('names parameters, buffers and modules with dotted paths in registration order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'stem.weight', 'stem.bias',
      'layer1.0.scale', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.bn1.bias',
      'layer1.1.scale', 'layer1.1.conv1.weight', 'layer1.1.bn1.weight', 'layer1.1.bn1.bias',
      'head.weight', 'head.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual([
      'layer1.0.bn1.running_mean', 'layer1.0.bn1.running_var', 'layer1.0.bn1.num_batches_tracked',
      'layer1.1.bn1.running_mean', 'layer1.1.bn1.running_var', 'layer1.1.bn1.num_batches_tracked',
    ]);
    expect(Object.keys(net.stateDict())).toContain('layer1.1.bn1.running_var');
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'stem', 'layer1', 'layer1.0', 'layer1.0.conv1', 'layer1.0.bn1', 'layer1.1', 'layer1.1.conv1', 'layer1.1.bn1', 'head']);
    expect(net.children()).toHaveLength(3);
    expect(net.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(net.numParameters()).toBe(4 * 9 + 4 + 2 * (1 + 4 * 4 * 9 + 8) + 4 * 3 + 3);
  });

  it('pins parameters where the backend kernels read them in place (the CPU backend: its wasm memory)', () => {
    const before = memory().wasmTensorBytes as number;
    const layer = new Linear(100, 50);
    expect((memory().wasmTensorBytes as number) - before).toBeGreaterThanOrEqual(100 * 50 * 4);
    expect(layer.weight.requiresGrad && layer.weight.isLeaf).toBe(true);
  });

  it('train()/eval() propagate; apply visits children first; zeroGrad clears grads', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    const order: string[] = [];
    net.apply((m) => order.push(m.constructor.name));
    expect(order.at(-1)).toBe('Net');
    expect(order.indexOf('Block')).toBeGreaterThan(order.indexOf('BatchNorm2d'));
    net.forward(randn([2, 1, 6, 6], { dtype: 'float64' })).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('stateDict/loadStateDict round-trip into a differently initialised twin', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (s1, s2) => {
        const a = new Net(new Generator(s1));
        const b = new Net(new Generator(s2));
        a.forward(randn([2, 1, 6, 6], { dtype: 'float64' })); // moves running statistics
        b.loadStateDict(a.stateDict());
        const x = randn([2, 1, 6, 6], { dtype: 'float64' });
        a.eval();
        b.eval();
        expectClose(b.forward(x).dataSync(), a.forward(x).dataSync(), { rtol: 0, atol: 0 });
      }),
      runs(0.5),
    );
  });

  it('strict loading lists every missing key, unexpected key and shape mismatch in one error, and changes nothing', () => {
    const net = new Net();
    const before = net.stateDict()['head.weight']!.dataSync().slice();
    const dict = { ...net.stateDict() };
    delete dict['stem.bias'];
    dict['extra.weight'] = randn([2]);
    dict['head.weight'] = randn([5, 4], { dtype: 'float64' });
    dict['head.bias'] = randn([3], { dtype: 'float64' });
    let message = '';
    try {
      net.loadStateDict(dict);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/missing keys: stem\.bias/);
    expect(message).toMatch(/unexpected keys: extra\.weight/);
    expect(message).toMatch(/head\.weight: checkpoint has shape \[5, 4\], the model \[3, 4\]/);
    expect([...net.stateDict()['head.weight']!.dataSync()]).toEqual([...before]);
    expect(net.stateDict()['head.bias']!.dataSync()).not.toEqual(dict['head.bias']!.dataSync());
    delete dict['head.weight'];
    const r = net.loadStateDict(dict, { strict: false });
    expect(r).toEqual({ missingKeys: ['stem.bias', 'head.weight'], unexpectedKeys: ['extra.weight'] });
    expectClose(net.stateDict()['head.bias']!.dataSync(), dict['head.bias']!.dataSync(), { rtol: 0, atol: 0 });
  });

  it('prints the module tree like PyTorch, then the total parameters; console.log shows the same', () => {
    const m = new Sequential(new Conv2d(3, 16, 3, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(16), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 10));
    const total = 16 * 3 * 9 + 2 * 16 + 16 * 10 + 10;
    expect(m.parameters().reduce((n, p) => n + p.numel(), 0)).toBe(total);
    expect(m.toString()).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)',
        '  (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
        '  (2): ReLU()',
        '  (3): AdaptiveAvgPool2d(output_size=1)',
        '  (4): Flatten(start_dim=1, end_dim=-1)',
        '  (5): Linear(in_features=16, out_features=10, bias=True)',
        ')',
        `Total params: ${total.toLocaleString('en-US')} (trainable ${total.toLocaleString('en-US')})`,
      ].join('\n'),
    );
    expect(inspect(m)).toBe(m.toString());
    expect(inspect({ m })).not.toMatch(/children_|buffersByName|training:/); // no fields dumped
    // A single layer is one line, as in PyTorch; nested trees carry one totals line, at the end.
    expect(new Linear(2, 3).toString()).toBe('Linear(in_features=2, out_features=3, bias=True)');
    expect(inspect(new Linear(2, 3, { bias: false }))).toBe('Linear(in_features=2, out_features=3, bias=False)');
    const nested = new Sequential(new Sequential(new Linear(2, 2)), new Dropout(0.5));
    expect(nested.toString().split('\n')).toEqual([
      'Sequential(',
      '  (0): Sequential(',
      '    (0): Linear(in_features=2, out_features=2, bias=True)',
      '  )',
      '  (1): Dropout(p=0.5)',
      ')',
      'Total params: 6 (trainable 6)',
    ]);
  });

  it('counts shared parameters once and frozen ones as not trainable', () => {
    const shared = new Linear(4, 4);
    const m = new Sequential(shared, new ReLU(), shared, new Linear(4, 2));
    m.parameters()[0]!.requiresGrad = false; // the shared weight
    expect(m.numParameters()).toBe(20 + 10);
    expect(m.toString().split('\n').at(-1)).toBe('Total params: 30 (trainable 14)');
  });

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(dup: boolean) {
        super();
        this.param('w', randn([1]));
        this.param(dup ? 'w' : 'a.b', randn([1]));
      }
      forward(x: Tensor) {
        return x;
      }
    }
    expect(() => new Bad(true)).toThrow(/'w' is already registered/);
    expect(() => new Bad(false)).toThrow(/invalid name "a\.b"/);
  });

  it('the whole model passes gradcheck in float64 (input), and parameter grads match finite differences', () => {
    const net = new Net(new Generator(3));
    const x = randn([2, 1, 5, 5], { dtype: 'float64', generator: new Generator(4) }).requiresGrad_();
    gradcheck((xx) => net.forward(xx), [x], { fastMode: true });
    const v = randn([2, 3], { dtype: 'float64', generator: new Generator(5) });
    const loss = () => net.forward(x.detach()).mul(v).sum();
    net.zeroGrad();
    loss().backward();
    for (const [name, p] of net.namedParameters()) checkParamGradient(p, p.grad!, loss, { label: name });
  });
});

describe('layers', () => {
  it('Linear and Conv2d compute the functional ops with their own weights', () => {
    const g = new Generator(1);
    const lin = new Linear(5, 3, { generator: g });
    const x = randn([4, 5]);
    expectClose(lin.forward(x).dataSync(), linear(x, lin.weight, lin.bias).dataSync(), { rtol: 0, atol: 0 });
    const conv = new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: 1, groups: 2, generator: g });
    const xi = randn([2, 4, 7, 6]);
    expectClose(conv.forward(xi).dataSync(), conv2d(xi, conv.weight, conv.bias, { stride: [2, 1], padding: 1, groups: 2 }).dataSync(), { rtol: 0, atol: 0 });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
  });

  it('default initialisation is PyTorch\'s: weights and biases uniform in +-1/sqrt(fan_in)', () => {
    const g = new Generator(7);
    for (const [m, fanIn] of [[new Linear(300, 200, { generator: g }), 300], [new Conv2d(16, 64, 3, { generator: g }), 144]] as const) {
      const w = [...m.weight.dataSync()];
      const b = [...m.bias!.dataSync()];
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
      // Uniform on [-bound, bound]: variance bound^2 / 3 (6 sigma of the sample variance).
      const v = w.reduce((s, z) => s + z * z, 0) / w.length;
      const sd = Math.sqrt((bound ** 4 / 5 - (bound ** 2 / 3) ** 2) / w.length);
      expect(Math.abs(v - bound ** 2 / 3)).toBeLessThan(6 * sd);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    }
    const a = new Linear(3, 2, { generator: new Generator(5) });
    const b = new Linear(3, 2, { generator: new Generator(5) });
    expect([...a.weight.dataSync()]).toEqual([...b.weight.dataSync()]);
  });

  it('init helpers: kaiming and xavier have the documented spread; constant/zeros/ones fill', () => {
    const g = new Generator(11);
    const w = randn([256, 128, 3, 3]).detach();
    const fanIn = 128 * 9;
    const fanOut = 256 * 9;
    const std = (t: Tensor) => Math.sqrt(t.var().item());
    const check = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(0.02);
    check(std(init.kaimingNormal(w, { generator: g })), Math.SQRT2 / Math.sqrt(fanIn));
    check(std(init.kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu', generator: g })), Math.SQRT2 / Math.sqrt(fanOut));
    check(std(init.kaimingUniform(w, { generator: g })), Math.SQRT2 / Math.sqrt(fanIn));
    check(std(init.xavierUniform(w, { generator: g })), Math.sqrt(2 / (fanIn + fanOut)));
    check(std(init.xavierNormal(w, { gain: 2, generator: g })), 2 * Math.sqrt(2 / (fanIn + fanOut)));
    check(std(init.normal(w, 3, 0.5, { generator: g })), 0.5);
    expect(Math.abs(w.mean().item() - 3)).toBeLessThan(0.01);
    const u = init.uniform(w, -2, -1, { generator: g }).dataSync();
    expect(Math.min(...u) >= -2 && Math.max(...u) < -1).toBe(true);
    expect([...init.constant(tensor([1, 2]), 7).dataSync()]).toEqual([7, 7]);
    expect([...init.ones(tensor([1, 2])).dataSync()]).toEqual([1, 1]);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(() => init.kaimingUniform(tensor([1, 2]))).toThrow(/at least 2 dims/);
  });

  it('BatchNorm2d: running statistics with momentum, cumulative average with momentum null, eval uses them', () => {
    const bn = new BatchNorm2d(2, { dtype: 'float64' });
    const x = randn([3, 2, 4, 4], { dtype: 'float64' });
    bn.forward(x);
    const m = x.mean([0, 2, 3]).dataSync();
    const v = x.var([0, 2, 3]).dataSync(); // unbiased, as PyTorch's running_var
    expectClose(bn.runningMean!.dataSync(), [...m].map((z) => 0.1 * z), { rtol: 1e-12, atol: 1e-12 });
    expectClose(bn.runningVar!.dataSync(), [...v].map((z) => 0.9 + 0.1 * z), { rtol: 1e-12, atol: 1e-12 });
    expect(bn.numBatchesTracked!.item()).toBe(1);
    const cum = new BatchNorm2d(2, { momentum: null, dtype: 'float64' });
    const y = randn([3, 2, 4, 4], { dtype: 'float64' });
    cum.forward(x);
    cum.forward(y);
    expectClose(cum.runningMean!.dataSync(), [...m].map((z, i) => (z + y.mean([0, 2, 3]).dataSync()[i]!) / 2), { rtol: 1e-12, atol: 1e-12 });
    bn.eval();
    const out = bn.forward(x);
    const rm = bn.runningMean!.dataSync(), rv = bn.runningVar!.dataSync();
    const ref = [...x.dataSync()].map((z, i) => { const c = Math.floor(i / 16) % 2; return (z - rm[c]!) / Math.sqrt(rv[c]! + 1e-5); });
    expectClose(out.dataSync(), ref, { rtol: 1e-12, atol: 1e-12 });
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it('SqueezeExcitation has torchvision\'s keys and scales channels by the gate', () => {
    const se = new SqueezeExcitation(8, 2, { generator: new Generator(2) });
    expect(Object.keys(se.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const x = randn([2, 8, 3, 3]);
    const s = x.mean([2, 3], true);
    const gate = conv2d(conv2d(s, se.fc1.weight, se.fc1.bias).relu(), se.fc2.weight, se.fc2.bias).add(3).clamp(0, 6).div(6);
    expectClose(se.forward(x).dataSync(), x.mul(gate).dataSync(), { rtol: 1e-6, atol: 1e-6 });
  });

  it('Dropout is the identity in eval mode; containers index and iterate', () => {
    const d = new Dropout(0.5);
    const x = randn([10]);
    d.eval();
    expect(d.forward(x)).toBe(x);
    const seq = new Sequential(new Identity(), new ReLU());
    expect(seq.length).toBe(2);
    expect(seq.at(-1)).toBeInstanceOf(ReLU);
    expect([...seq]).toHaveLength(2);
    const list = new ModuleList([new Linear(2, 2), new Linear(2, 3)]);
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(() => list.at(5)).toThrow(/index 5 is out of range/);
  });
});
