import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crossEntropy, Generator, randint, randn, type Tensor } from '@dynconv/core';
import { Adam, BatchNorm2d, Conv2d, decodeCheckpoint, Dropout, encodeCheckpoint, encodeSafetensors, Flatten, Linear, Module, ReLU, SGD, Sequential, StepLR, AdaptiveAvgPool2d, type Optimizer, type LRScheduler } from '@dynconv/nn';
import { loadCheckpoint, saveCheckpoint } from '@dynconv/nn/node';

const dir = mkdtempSync(join(tmpdir(), 'dynconv-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Net extends Module {
  readonly body: Sequential;
  constructor(seed: number, dropoutGen: Generator) {
    super();
    const g = new Generator(seed);
    this.body = this.module('body', new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, generator: g }), new BatchNorm2d(4), new ReLU(), new Dropout(0.2, { generator: dropoutGen }),
      new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 3, { generator: g }),
    ));
  }
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

interface Run { model: Net; opt: Optimizer; sched: LRScheduler; data: Generator; drop: Generator }

function makeRun(seed: number, kind: 'sgd' | 'adam'): Run {
  const drop = new Generator(seed + 1);
  const model = new Net(seed, drop);
  const opt = kind === 'sgd' ? new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }) : new Adam(model.parameters(), { lr: 0.01, amsgrad: true });
  const sched = new StepLR(opt, 2, { gamma: 0.5 });
  return { model, opt, sched, data: new Generator(seed + 2), drop };
}

function trainSteps(r: Run, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = randn([4, 1, 5, 5], { generator: r.data });
    const y = randint(0, 3, [4], { generator: r.data });
    r.opt.zeroGrad();
    crossEntropy(r.model.forward(x), y).backward();
    r.opt.step();
    r.sched.step();
  }
}

const weights = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.dataSync()]]);

describe('checkpoints', () => {
  for (const kind of ['sgd', 'adam'] as const) {
    it(`resume bit-exactly (${kind}): N steps straight == N/2 + save + load + N/2`, () => {
      const straight = makeRun(7, kind);
      trainSteps(straight, 6);

      const first = makeRun(7, kind);
      trainSteps(first, 3);
      const path = join(dir, `${kind}.safetensors`);
      saveCheckpoint(path, { model: first.model, optimizer: first.opt, scheduler: first.sched, generators: { data: first.data, dropout: first.drop }, epoch: 1, step: 3, extra: { losses: [1.5, 1.2] } });

      const resumed = makeRun(99, kind); // different initial weights and streams
      const ckpt = loadCheckpoint(path);
      ckpt.restore({ model: resumed.model, optimizer: resumed.opt, scheduler: resumed.sched, generators: { data: resumed.data, dropout: resumed.drop } });
      expect([ckpt.epoch, ckpt.step, ckpt.extra]).toEqual([1, 3, { losses: [1.5, 1.2] }]);
      trainSteps(resumed, 3);
      expect(weights(resumed.model)).toEqual(weights(straight.model));
      expect(resumed.opt.paramGroups[0]!.lr).toBe(straight.opt.paramGroups[0]!.lr);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('stores the model as plain safetensors tensors under model.<key>', () => {
    const r = makeRun(1, 'sgd');
    const c = decodeCheckpoint(encodeCheckpoint({ model: r.model, epoch: 0, step: 0 }));
    expect(Object.keys(c.stateDict).sort()).toEqual(Object.keys(r.model.stateDict()).sort());
    expect(c.optimizer).toBeNull();
  });

  it('rejects files that are not checkpoints, with clear errors naming the file', () => {
    const plain = join(dir, 'plain.safetensors');
    writeFileSync(plain, encodeSafetensors({ w: randn([2]) }));
    expect(() => loadCheckpoint(plain)).toThrow(/plain\.safetensors'.*not a dynconv checkpoint/);
    expect(() => loadCheckpoint(join(dir, 'missing.safetensors'))).toThrow(/cannot read '.*missing\.safetensors'/);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, encodeSafetensors({ 'model.w': randn([2]) }, { 'dynconv.checkpoint': '{"format":"other"}' }));
    expect(() => loadCheckpoint(bad)).toThrow(/unsupported checkpoint format "other"/);
    writeFileSync(bad, encodeSafetensors({ 'opt.w': randn([2]) }, { 'dynconv.checkpoint': JSON.stringify({ format: 'dynconv-checkpoint/1', epoch: 0, step: 0, optimizer: null, scheduler: null, generators: {}, extra: {} }) }));
    expect(() => loadCheckpoint(bad)).toThrow(/unexpected tensor 'opt\.w'/);
  });

  it('restore is all or nothing: a failing optimizer load rolls the model back', () => {
    const a = makeRun(3, 'sgd');
    trainSteps(a, 2);
    const bytes = encodeCheckpoint({ model: a.model, optimizer: a.opt, scheduler: a.sched, epoch: 0, step: 2 });
    const b = makeRun(4, 'adam'); // Adam cannot load SGD state
    const before = weights(b.model);
    expect(() => decodeCheckpoint(bytes).restore({ model: b.model, optimizer: b.opt })).toThrow(/Adam/);
    expect(weights(b.model)).toEqual(before);
    const c = makeRun(5, 'sgd');
    expect(() => decodeCheckpoint(encodeCheckpoint({ model: a.model, epoch: 0, step: 0 })).restore({ model: c.model, optimizer: c.opt })).toThrow(/no optimizer state/);
  });
});

describe('state dict files', () => {
  it('saveStateDict/loadStateDict round-trip through a .safetensors file with dotted keys', async () => {
    const { saveStateDict, loadStateDict, loadSafetensors } = await import('@dynconv/nn/node');
    const a = makeRun(11, 'sgd');
    trainSteps(a, 1);
    const path = join(dir, 'weights.safetensors');
    await saveStateDict(path, a.model);
    const { tensors } = await loadSafetensors(path);
    expect(Object.keys(tensors)).toContain('body.1.running_mean');
    const b = makeRun(12, 'sgd');
    await loadStateDict(path, b.model);
    expect(weights(b.model)).toEqual(weights(a.model));
    const other = new Sequential(new Linear(2, 2));
    await expect(loadStateDict(path, other)).rejects.toThrow(/loadStateDict: '.*weights\.safetensors'.*missing keys: 0\.weight/s);
  });
});
