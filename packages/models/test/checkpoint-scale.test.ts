/**
 * Checkpoints of real models: ResNet-18 and ResNet-50 with AdamW save in binary (the file is its
 * tensors' bytes plus a small header) and resume bit for bit. With the optimizer's moments as
 * JSON in the header, ResNet-18's header alone was 182 MB and could not be written.
 */
import { Generator, noGrad, type Tensor } from '@dynconv/core';
import { AdamW, decodeCheckpoint, encodeCheckpoint, encodeSafetensors, type Module } from '@dynconv/nn';
import { describe, expect, it } from 'vitest';
import { resnet18, resnet50 } from '../src/index.js';

/** Bytes of every tensor a checkpoint of `model` + `opt` holds. */
function tensorBytes(model: Module<never[], unknown>, opt: AdamW): number {
  let n = 0;
  for (const t of Object.values(model.stateDict())) n += t.numel() * 4;
  for (const s of opt.state.values()) for (const v of Object.values(s)) if (typeof v === 'object') n += (v as Tensor).numel() * 4;
  return n;
}

/** A gradient that depends only on the parameter's values, so equal parameters get equal gradients. */
function setGrads(model: Module<never[], unknown>): void {
  noGrad(() => {
    for (const p of model.parameters()) p.grad = p.detach().mul(0.5).add(1e-3);
  });
}

/** The bytes of every parameter and every state tensor, in order. */
function bits(model: Module<never[], unknown>, opt: AdamW): Buffer[] {
  const out: Buffer[] = [];
  const bytes = (t: Tensor) => {
    const d = t.dataSync();
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  };
  for (const p of model.parameters()) {
    const s = opt.state.get(p)!;
    out.push(bytes(p), bytes(s.expAvg!), bytes(s.expAvgSq!));
  }
  return out;
}

/** Bit for bit (so NaN equals NaN and -0 differs from 0). */
function sameBits(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}

describe('checkpoints that scale', () => {
  for (const [name, make] of [['resnet18', resnet18], ['resnet50', resnet50]] as const) {
    it(`${name} + AdamW: the checkpoint is its tensors' bytes within 5%, and a step after restore equals a step without the save`, () => {
      const a = make({ numClasses: 10, generator: new Generator(1) });
      const optA = new AdamW(a.parameters(), { lr: 1e-3 });
      setGrads(a);
      optA.step();
      const bytes = encodeCheckpoint({ model: a, optimizer: optA, epoch: 0, step: 1, extra: { note: 'after one step' } });
      expect(bytes.length).toBeLessThanOrEqual(1.05 * tensorBytes(a, optA));
      const saved = bits(a, optA);
      setGrads(a);
      optA.step();

      // Other initial weights, restored from the checkpoint, then the same second step.
      const b = make({ numClasses: 10, generator: new Generator(2) });
      const optB = new AdamW(b.parameters(), { lr: 0.5 });
      decodeCheckpoint(bytes).restore({ model: b, optimizer: optB });
      expect(optB.paramGroups[0]!.lr).toBe(1e-3);
      setGrads(b);
      optB.step();
      expect(sameBits(bits(b, optB), bits(a, optA))).toBe(true);
      // The second step changed the values, so the comparison above could have failed.
      expect(sameBits(bits(b, optB), saved)).toBe(false);
    });
  }

  it('a checkpoint of format 1 (optimizer state as JSON in the header) still loads and resumes', () => {
    const make = () => resnet18({ numClasses: 10, widthMult: 0.25, generator: new Generator(3) });
    const a = make();
    const optA = new AdamW(a.parameters(), { lr: 1e-3 });
    setGrads(a);
    optA.step();
    // What the old encoder wrote: model tensors only, the optimizer's JSON state dict in the header.
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(a.stateDict())) tensors[`model.${k}`] = t;
    const meta = { format: 'dynconv-checkpoint/1', epoch: 0, step: 1, optimizer: optA.stateDict(), scheduler: null, generators: {}, extra: {} };
    const old = encodeSafetensors(tensors, { 'dynconv.checkpoint': JSON.stringify(meta) });
    const b = resnet18({ numClasses: 10, widthMult: 0.25, generator: new Generator(4) });
    const optB = new AdamW(b.parameters());
    decodeCheckpoint(old).restore({ model: b, optimizer: optB });
    setGrads(a);
    optA.step();
    setGrads(b);
    optB.step();
    expect(sameBits(bits(b, optB), bits(a, optA))).toBe(true);
  });
});
