import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The README's examples run in test/docs.test.ts, with every other code block of the docs.
describe('tools/demo-mlp.ts: the spiral MLP demo', () => {
  it('fits the MLP: the printed loss falls and accuracy beats chance', () => {
    const out = execFileSync('npx', ['tsx', 'tools/demo-mlp.ts', '--steps', '200'], { encoding: 'utf8' });
    const losses = [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    const accs = [...out.matchAll(/accuracy (\d+\.\d+)%/g)].map((m) => Number(m[1]));
    expect(losses.length).toBeGreaterThan(5);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.7);
    expect(accs.at(-1)!).toBeGreaterThan(60); // three classes: chance is 33%
  });

  it('rejects a bad flag with a clear message', () => {
    expect(() => execFileSync('npx', ['tsx', 'tools/demo-mlp.ts', '--steps', 'ten'], { encoding: 'utf8', stdio: 'pipe' })).toThrow(/--steps must be a positive integer/);
  });
});
