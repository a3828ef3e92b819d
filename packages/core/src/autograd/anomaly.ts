/**
 * Anomaly detection, like PyTorch's `torch.autograd.detect_anomaly`: while it is on, every
 * differentiable op checks its output, and backward checks every gradient it computes, for
 * NaN and infinities. The first one found throws an Error naming the op, the shapes, and the
 * op that created its inputs, instead of letting the NaN travel on into the weights, where
 * it is found many steps later with no trace of where it came from.
 *
 * Forward, an op is named when it makes a NaN from inputs that hold none, or an infinity from
 * finite inputs: values that only pass through (a -Infinity mask, say) are not anomalies.
 *
 * Slow (every result is read back and scanned): a debugging mode, off by default. On with
 * {@link detectAnomaly}, {@link setDetectAnomaly}, or `DYNCONV_DETECT_ANOMALY=1` in the environment.
 */
import { isFloating } from '../dtype.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let enabled = env?.DYNCONV_DETECT_ANOMALY === '1';
/** Off while a backward formula runs: its own ops are checked as the gradient they return. */
let forwardChecks = true;
/** The op that made each tensor while the mode was on (also when nothing was recorded). */
const creators = new WeakMap<Tensor, string>();

/** True while anomaly detection is on. */
export function isAnomalyEnabled(): boolean {
  return enabled;
}

/** Turns anomaly detection on or off for what follows; returns the previous setting. */
export function setDetectAnomaly(on: boolean): boolean {
  const old = enabled;
  enabled = on;
  return old;
}

/**
 * Runs `fn` with anomaly detection on (restoring the previous mode afterwards, even on
 * throw): the first op whose forward output, or whose backward's gradient, holds NaN or
 * Infinity throws an Error that names it. Use it around a training step to find where a NaN
 * loss comes from: `detectAnomaly(() => { const loss = ...; loss.backward(); })`.
 */
export function detectAnomaly<T>(fn: () => T): T {
  const old = setDetectAnomaly(true);
  try {
    return fn();
  } finally {
    enabled = old;
  }
}

/** The index of the first element that is NaN (`nanOnly`) or NaN or infinite, or -1. */
function firstNonFinite(t: Tensor, nanOnly = false): number {
  if (!isFloating(t.dtype)) return -1;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (nanOnly ? v !== v : v - v !== 0) return i; // v - v: NaN for NaN and ±Infinity, 0 otherwise
  }
  return -1;
}

/** Where a tensor came from, for messages. */
function origin(t: Tensor): string {
  const op = t.gradFn?.name ?? creators.get(t);
  if (op) return `created by ${op}`;
  return t.requiresGrad ? 'a leaf' : 'a constant (no op made it)';
}

const describe = (t: Tensor, i: number) => `${fmt(t.shape)} ${t.dtype}, ${origin(t)}${firstNonFinite(t) >= 0 ? ', already holding NaN/Inf' : ''} (input ${i})`;

/** @internal Called by `record` for every op's result while the mode is on. */
export function checkForward(name: string, out: Tensor, inputs: readonly Tensor[]): void {
  if (!forwardChecks) return;
  const nan = firstNonFinite(out, true);
  // A NaN the inputs did not have, else an infinity from finite inputs.
  const at = nan >= 0 && !inputs.some((x) => firstNonFinite(x, true) >= 0) ? nan : firstNonFinite(out) >= 0 && !inputs.some((x) => firstNonFinite(x) >= 0) ? firstNonFinite(out) : -1;
  if (at >= 0) {
    const v = out.dataSync()[at];
    throw new Error(
      `detectAnomaly: ${name} returned ${v} in its output (shape ${fmt(out.shape)}, element ${at}); its inputs: ${inputs.map(describe).join('; ') || 'none'}`,
    );
  }
  creators.set(out, name);
}

/**
 * @internal Runs a node's backward formula with forward checks off, then checks the gradients
 * it returns: `output` is the tensor the node made, `gradOutput` the gradient that flowed in.
 */
export function checkedBackward(node: { name: string; inputs: readonly Tensor[]; apply(g: Tensor): (Tensor | null)[] }, output: Tensor, gradOutput: Tensor): (Tensor | null)[] {
  const prev = forwardChecks;
  forwardChecks = false;
  let grads: (Tensor | null)[];
  try {
    grads = node.apply(gradOutput);
  } finally {
    forwardChecks = prev;
  }
  grads.forEach((g, i) => {
    const at = g ? firstNonFinite(g) : -1;
    if (at < 0) return;
    const x = node.inputs[i]!;
    const incoming = firstNonFinite(gradOutput) >= 0 ? 'itself holding NaN/Inf' : 'finite';
    throw new Error(
      `detectAnomaly: the backward of ${node.name} returned ${g!.dataSync()[at]} in the gradient of input ${i} (shape ${fmt(g!.shape)}, element ${at}); ` +
        `that input is ${fmt(x.shape)} ${x.dtype}, ${origin(x)}; ${node.name}'s output is ${fmt(output.shape)} and the gradient that flowed into it was ${incoming}`,
    );
  });
  return grads;
}
