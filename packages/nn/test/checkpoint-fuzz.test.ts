/**
 * The checkpoint fuzzer, as a test: mutants of a real small checkpoint (bit flips, truncations,
 * bytes of the header overwritten, and JSON edits of the header: a value of the checkpoint's
 * metadata or of a tensor entry replaced) must each either load or throw a plain Error, and a
 * refused load must leave the model, optimizer, scheduler and generators exactly as they were.
 *
 * 1,000 mutants per run (a few seconds); DYNCONV_NUM_RUNS=200 runs 10,000.
 */
import { crossEntropy, Generator, randint, randn, Tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numRuns } from '@dynconv/testing';
import { Adam, BatchNorm2d, Conv2d, decodeCheckpoint, encodeCheckpoint, Flatten, Linear, ReLU, Sequential, StepLR } from '../src/index.js';

const MUTANTS = Math.max(1000, numRuns(50));

/** A training state: a small conv net, Adam (AMSGrad, so three moments), a schedule, two generators. */
function makeRun(seed: number) {
  const g = new Generator(seed);
  const model = new Sequential(new Conv2d(1, 3, 3, { generator: g }), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(27, 4, { generator: g }));
  const optimizer = new Adam(model.parameters(), { lr: 0.01, amsgrad: true });
  const scheduler = new StepLR(optimizer, 2, { gamma: 0.5 });
  const data = new Generator(seed + 1);
  const other = new Generator(seed + 2);
  return { model, optimizer, scheduler, generators: { data, other } };
}
type Run = ReturnType<typeof makeRun>;

function train(r: Run, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const x = randn([2, 1, 5, 5], { generator: r.generators.data });
    const y = randint(0, 4, [2], { generator: r.generators.data });
    r.optimizer.zeroGrad();
    crossEntropy(r.model.forward(x), y).backward();
    r.optimizer.step();
    r.scheduler.step();
  }
}

/** A tensor's bits, compactly. */
const b64 = (t: Tensor) => Buffer.from(t.dataSync().buffer).toString('base64');

/** Everything a restore may change, as one string: weights and moments by their bits, keys sorted. */
function snapshot(r: Run): string {
  const { state, paramGroups } = r.optimizer.stateDict('tensors');
  const moments = Object.entries(state).map(([i, s]) => [i, Object.keys(s).sort().map((k) => [k, s[k] instanceof Tensor ? b64(s[k]) : s[k]])]);
  return JSON.stringify({
    weights: Object.entries(r.model.stateDict()).map(([k, t]) => [k, b64(t)]),
    moments,
    paramGroups,
    scheduler: r.scheduler.stateDict(),
    // The same bits may be spelled signed or unsigned.
    generators: Object.values(r.generators).map((g) => g.getState().map((v, i) => (i < 4 ? v | 0 : String(v)))),
  });
}

const source = makeRun(1);
train(source, 3);
const ORIGINAL = encodeCheckpoint({ ...source, epoch: 1, step: 3, extra: { losses: [1.25, 0.5], loader: { seed: 0, epoch: 1, batch: 2 } } });
const HEADER_LENGTH = Number(new DataView(ORIGINAL.buffer, ORIGINAL.byteOffset).getBigUint64(0, true));
const HEADER = JSON.parse(new TextDecoder().decode(ORIGINAL.subarray(8, 8 + HEADER_LENGTH))) as Record<string, unknown>;
const META_KEY = 'dynconv.checkpoint';

/** Paths to every leaf (and every object/array, which may be replaced whole) of a JSON value. */
function paths(x: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = at.length ? [at] : [];
  if (Array.isArray(x)) return [...here, ...x.flatMap((v, i) => paths(v, [...at, i]))];
  if (x !== null && typeof x === 'object') return [...here, ...Object.entries(x).flatMap(([k, v]) => paths(v, [...at, k]))];
  return here;
}
const META = JSON.parse((HEADER.__metadata__ as Record<string, string>)[META_KEY]!) as unknown;
const { __metadata__: _, ...ENTRIES } = HEADER;
const META_PATHS = paths(META);
const ENTRY_PATHS = paths(ENTRIES);

/** Values an edit puts in place of the original: wrong types, out of range, huge, odd shapes. */
const REPLACEMENTS: unknown[] = [
  -1, 0, 1, 3, 0.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, 1e-320, null, true, false, '', 'x', 'NaN', 'F16', 'I32', 'BOOL',
  [], [0], [-1], [1e9, 1e9], [0, 0, 0, 0, null, 0], {}, { shape: [1], dtype: 'float32', data: [1] },
];

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path.at(-1)!] = value;
}

/** The checkpoint with its header replaced (the data buffer unchanged). */
function withHeader(header: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const body = ORIGINAL.subarray(8 + HEADER_LENGTH);
  const out = new Uint8Array(8 + n + body.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.set(body, 8 + n);
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number[] }
  | { kind: 'truncate'; length: number }
  | { kind: 'headerBytes'; at: number[]; byte: number }
  | { kind: 'meta' | 'entry'; path: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ kind: fc.constant('headerBytes' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constantFrom('meta' as const, 'entry' as const), path: fc.nat(), value: fc.nat() }),
);

function mutate(m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = ORIGINAL.slice();
      // Bits anywhere: the length prefix, the header text, tensor data.
      for (const a of m.at) out[a % out.length]! ^= 1 << (Math.floor(a / out.length) % 8);
      return out;
    }
    case 'truncate':
      return ORIGINAL.slice(0, m.length % ORIGINAL.length);
    case 'headerBytes': {
      const out = ORIGINAL.slice();
      for (const a of m.at) out[8 + (a % HEADER_LENGTH)] = m.byte;
      return out;
    }
    case 'meta': {
      const meta = structuredClone(META);
      setAt(meta, META_PATHS[m.path % META_PATHS.length]!, REPLACEMENTS[m.value % REPLACEMENTS.length]);
      return withHeader({ ...HEADER, __metadata__: { [META_KEY]: JSON.stringify(meta) } });
    }
    case 'entry': {
      const header = structuredClone(HEADER);
      setAt(header, ENTRY_PATHS[m.path % ENTRY_PATHS.length]!, REPLACEMENTS[m.value % REPLACEMENTS.length]);
      return withHeader(header);
    }
  }
}

describe('checkpoint fuzzing', () => {
  it('the unmutated checkpoint restores (so the mutants start from a loadable file)', () => {
    const target = makeRun(5);
    decodeCheckpoint(ORIGINAL).restore(target);
    expect(snapshot(target)).toBe(snapshot(source));
  });

  it(`${MUTANTS} mutants: each loads or throws a plain Error, and a refused load changes nothing`, () => {
    const target = makeRun(9);
    train(target, 1);
    const outcomes = { loaded: 0, refused: 0 };
    fc.assert(
      fc.property(mutationArb, (m) => {
        const bytes = mutate(m);
        const before = snapshot(target);
        try {
          decodeCheckpoint(bytes).restore(target);
          outcomes.loaded++;
        } catch (e) {
          // Not a TypeError or RangeError escaping from deep inside: an explained Error.
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).constructor).toBe(Error);
          expect(snapshot(target)).toBe(before);
          outcomes.refused++;
        }
      }),
      { numRuns: MUTANTS },
    );
    if (process.env.DYNCONV_FUZZ_REPORT) console.log(outcomes);
    // Both outcomes occur, so neither check above is vacuous.
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
