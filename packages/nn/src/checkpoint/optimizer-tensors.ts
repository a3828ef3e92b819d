/**
 * How a checkpoint stores optimizer state: every state tensor (Adam's moments, SGD's momentum)
 * as a binary tensor in the safetensors body, named `optimizer.state.<index>.<key>`, and only
 * the small values (options, step counts) as JSON in the header. Decimal JSON for the moments
 * made the header 13 bytes per value: 180 MB for a ResNet-18, past what readers accept.
 */
import { Tensor } from '@dynconv/core';
import type { OptimizerStateDict, StateValue } from '../optim/optimizer.js';

/** The name prefix of optimizer state tensors in a checkpoint. */
export const OPTIMIZER_PREFIX = 'optimizer.state.';

/** `dict` split into the JSON part (tensors left out) and the tensors, by checkpoint name. */
export function splitOptimizerState(dict: OptimizerStateDict): { json: OptimizerStateDict; tensors: Record<string, Tensor> } {
  const tensors: Record<string, Tensor> = {};
  const state: OptimizerStateDict['state'] = {};
  for (const [index, entry] of Object.entries(dict.state)) {
    const small: Record<string, StateValue> = {};
    for (const [key, v] of Object.entries(entry)) {
      if (v instanceof Tensor) tensors[`${OPTIMIZER_PREFIX}${index}.${key}`] = v;
      else small[key] = v;
    }
    state[index] = small;
  }
  return { json: { ...dict, state }, tensors };
}

/**
 * The inverse of {@link splitOptimizerState}: puts each `optimizer.state.<index>.<key>` tensor
 * back into `json` (null when the checkpoint has no optimizer). Names that do not parse, or
 * that collide with a JSON entry, are refused; the values themselves are checked later, by the
 * optimizer's loadStateDict against its parameters.
 */
export function mergeOptimizerState(json: OptimizerStateDict | null, tensors: Record<string, Tensor>): OptimizerStateDict | null {
  const names = Object.keys(tensors);
  if (json === null) {
    if (names.length > 0) throw new Error(`decodeCheckpoint: tensor '${names[0]}' is optimizer state, but the checkpoint has no optimizer`);
    return null;
  }
  const state: OptimizerStateDict['state'] = {};
  for (const [index, entry] of Object.entries(json.state)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new Error(`decodeCheckpoint: optimizer state of parameter ${JSON.stringify(index)} must be an object, got ${JSON.stringify(entry)}`);
    }
    state[index] = { ...entry };
  }
  for (const name of names) {
    const m = /^(0|[1-9][0-9]*)\.([A-Za-z][A-Za-z0-9]*)$/.exec(name.slice(OPTIMIZER_PREFIX.length));
    if (!m) throw new Error(`decodeCheckpoint: tensor '${name}' is not named ${OPTIMIZER_PREFIX}<parameter index>.<state key>`);
    const [, index, key] = m as unknown as [string, string, string];
    const entry = (state[index] ??= {});
    if (Object.hasOwn(entry, key)) throw new Error(`decodeCheckpoint: optimizer state '${key}' of parameter ${index} is stored twice (as tensor '${name}' and in the header)`);
    entry[key] = tensors[name]!;
  }
  return { ...json, state };
}
