import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectAnomaly, isAnomalyEnabled, tensor } from '../src/index.js';
import { runs } from '@dynconv/testing';

/** Positive values with one element (at `at`) replaced by `special`. */
const withOne = (special: number) =>
  fc
    .array(fc.double({ min: 0.5, max: 4, noNaN: true }), { minLength: 1, maxLength: 12 })
    .chain((values) => fc.tuple(fc.constant(values), fc.nat({ max: values.length - 1 })))
    .map(([values, at]) => ({ values: values.map((v, i) => (i === at ? special : v)), at }));

describe('detectAnomaly', () => {
  it('names the op whose forward output holds NaN (log of a negative), its shapes and the op that made its input', () => {
    fc.assert(
      fc.property(withOne(-1), fc.constantFrom('float32' as const, 'float64' as const), ({ values, at }, dtype) => {
        const x = tensor(values, { dtype, requiresGrad: true });
        const run = () => x.mul(2).add(1).log().sum();
        // Off: the NaN passes silently into the result.
        expect(Number.isNaN(run().item())).toBe(true);
        expect(() => detectAnomaly(run)).toThrow(`detectAnomaly: log returned NaN in its output (shape [${values.length}], element ${at}); its inputs: [${values.length}] ${dtype}, created by add (input 0)`);
        expect(isAnomalyEnabled()).toBe(false);
      }),
      runs(),
    );
  });

  it('names the op whose backward returns Inf (sqrt at 0), the input it was for, and where that input came from', () => {
    fc.assert(
      fc.property(withOne(0), ({ values, at }) => {
        const x = tensor(values, { dtype: 'float64', requiresGrad: true });
        // Forward is finite (sqrt(0) = 0); the gradient 1 / (2 sqrt(0)) is not.
        const y = detectAnomaly(() => x.sqrt().mul(3).sum());
        expect(Number.isFinite(y.item())).toBe(true);
        expect(() => detectAnomaly(() => y.backward())).toThrow(
          `detectAnomaly: the backward of sqrt returned Infinity in the gradient of input 0 (shape [${values.length}], element ${at}); that input is [${values.length}] float64, a leaf; sqrt's output is [${values.length}] and the gradient that flowed into it was finite`,
        );
      }),
      runs(),
    );
  });

  it('changes nothing for finite computations; values that only pass through are not anomalies; a new NaN from infinities is', () => {
    const x = tensor([1, 4, 9], { dtype: 'float64', requiresGrad: true });
    detectAnomaly(() => x.sqrt().log().sum().backward());
    expect(Array.from(x.grad!.dataSync()).every(Number.isFinite)).toBe(true);
    // A -Infinity mask and a NaN already in the data travel on without a complaint...
    const mask = tensor([0, -Infinity, 0]);
    expect(Array.from(detectAnomaly(() => x.add(mask).mul(2)).dataSync())).toEqual([2, -Infinity, 18]);
    expect(Number.isNaN(detectAnomaly(() => tensor([1, NaN]).mul(2).exp()).dataSync()[1])).toBe(true);
    // ...but Infinity - Infinity makes a NaN that was not there: named, with its inputs' state.
    const inf = tensor([1, Infinity]);
    expect(() => detectAnomaly(() => inf.mul(2).sub(inf))).toThrow(/sub returned NaN in its output \(shape \[2\], element 1\); its inputs: \[2\] float32, created by mul, already holding NaN\/Inf \(input 0\); \[2\] float32, a constant \(no op made it\), already holding NaN\/Inf \(input 1\)/);
  });

  it('DYNCONV_DETECT_ANOMALY=1 turns it on for the whole process', () => {
    const script = "import { tensor } from './packages/core/src/index.ts'; try { tensor([-1]).log(); console.log('no error'); } catch (e) { console.log(e.message); }";
    const root = new URL('../../..', import.meta.url).pathname;
    const on = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, DYNCONV_DETECT_ANOMALY: '1' }, encoding: 'utf8' });
    expect(on.stdout).toContain('detectAnomaly: log returned NaN');
    const off = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, DYNCONV_DETECT_ANOMALY: '' }, encoding: 'utf8' });
    expect(off.stdout).toContain('no error');
  });
});
