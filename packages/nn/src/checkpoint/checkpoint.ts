/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped, in one
 * safetensors file. Every tensor is stored as a binary tensor in the body (readable by any
 * safetensors tool): the model's as `model.<key>`, the optimizer's state as
 * `optimizer.state.<index>.<key>` (see optimizer-tensors.ts). Only small values go in the
 * header metadata as JSON: optimizer options and step counts, the scheduler, generator
 * states, epoch/step and free-form extras (metrics, arguments, data-loader position). A
 * checkpoint is thus its tensors' bytes plus a few kilobytes.
 *
 * Format 2; format 1 (optimizer state as JSON in the header) still loads.
 */
import { Generator, type Tensor } from '@dynconv/core';
import type { Module, StateDict } from '../module.js';
import type { LRScheduler, LRSchedulerStateDict } from '../optim/lr-scheduler.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors } from '../serialization/safetensors.js';
import { mergeOptimizerState, OPTIMIZER_PREFIX, splitOptimizerState } from './optimizer-tensors.js';

/** What goes into a checkpoint. */
export interface CheckpointState {
  /** The model whose state dict is saved (under `model.`). */
  model: Module<never[], unknown>;
  /** The optimizer whose state is saved (its tensors in the body, the rest as JSON). */
  optimizer?: Optimizer;
  /** The learning-rate schedule whose state is saved. */
  scheduler?: LRScheduler;
  /** Random generators by name (their exact stream positions are saved). */
  generators?: Record<string, Generator>;
  /** The epoch reached, as the caller counts it. */
  epoch: number;
  /** The optimizer steps taken so far. */
  step: number;
  /** JSON-able extras: metrics so far, arguments, data-loader state. NaN becomes null. */
  extra?: Record<string, unknown>;
}

/** Where {@link Checkpoint.restore} puts the saved state. */
export interface RestoreTarget {
  /** Receives the saved state dict (keys and shapes must match). */
  model: Module<never[], unknown>;
  /** Receives the saved optimizer state; an error if the checkpoint has none. */
  optimizer?: Optimizer;
  /** Receives the saved schedule state; an error if the checkpoint has none. */
  scheduler?: LRScheduler;
  /**
   * Generators to set to the saved stream positions, by name; each name must be in the checkpoint.
   */
  generators?: Record<string, Generator>;
}

/** A decoded checkpoint. */
export interface Checkpoint {
  /** The epoch saved. */
  epoch: number;
  /** The step saved. */
  step: number;
  /** The JSON extras saved (empty when none). */
  extra: Record<string, unknown>;
  /** The model's state dict (keys without the `model.` prefix). */
  stateDict: StateDict;
  /** The optimizer state, or null when none was saved. */
  optimizer: OptimizerStateDict | null;
  /** The schedule state, or null when none was saved. */
  scheduler: LRSchedulerStateDict | null;
  /** Each saved generator's state (as `Generator.getState` returns it), by name. */
  generators: Record<string, number[]>;
  /**
   * Loads everything into `target`, all or nothing: everything is checked (optimizer state
   * against the parameters, generator states, the model's keys and shapes, the schedule)
   * before anything changes, so on any error nothing is changed.
   */
  restore(target: RestoreTarget): void;
}

const META_KEY = 'dynconv.checkpoint';
const FORMAT = 'dynconv-checkpoint/2';
/** The format before optimizer state moved into the body: its JSON state still loads. */
const FORMAT_1 = 'dynconv-checkpoint/1';

/** Generator states hold a NaN sentinel, which JSON cannot carry. */
function encodeGeneratorState(g: Generator): (number | null)[] {
  return g.getState().map((v) => (Number.isNaN(v) ? null : v));
}

function decodeGeneratorState(s: unknown, name: string): number[] {
  if (!Array.isArray(s) || s.length !== 6 || !s.every((v) => v === null || typeof v === 'number')) {
    throw new Error(`decodeCheckpoint: generator '${name}' has a malformed state ${JSON.stringify(s)}`);
  }
  return s.map((v) => (v === null ? NaN : v));
}

/** Serialises a training state to safetensors bytes. */
export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  for (const [k, v] of [['epoch', state.epoch], ['step', state.step]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`encodeCheckpoint: ${k} must be a non-negative integer, got ${v}`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state.model.stateDict())) tensors[`model.${k}`] = t;
  const optimizer = state.optimizer ? splitOptimizerState(state.optimizer.stateDict('tensors')) : null;
  Object.assign(tensors, optimizer?.tensors);
  const meta = {
    format: FORMAT,
    epoch: state.epoch,
    step: state.step,
    optimizer: optimizer?.json ?? null,
    scheduler: state.scheduler?.stateDict() ?? null,
    generators: Object.fromEntries(Object.entries(state.generators ?? {}).map(([k, g]) => [k, encodeGeneratorState(g)])),
    extra: state.extra ?? {},
  };
  return encodeSafetensors(tensors, { [META_KEY]: JSON.stringify(meta) });
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads a checkpoint written by {@link encodeCheckpoint}; malformed input is a clear error. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const raw = metadata[META_KEY];
  if (raw === undefined) throw new Error(`decodeCheckpoint: not a dynconv checkpoint (the safetensors header has no '${META_KEY}' metadata)`);
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    throw new Error(`decodeCheckpoint: the '${META_KEY}' metadata is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(meta) || (meta.format !== FORMAT && meta.format !== FORMAT_1)) {
    throw new Error(`decodeCheckpoint: unsupported checkpoint format ${JSON.stringify(isObject(meta) ? meta.format : meta)} (expected '${FORMAT}', or '${FORMAT_1}' from before optimizer state was stored in binary)`);
  }
  for (const k of ['epoch', 'step'] as const) {
    const v = meta[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`decodeCheckpoint: ${k} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  if (!isObject(meta.extra)) throw new Error('decodeCheckpoint: extra must be an object');
  if (!isObject(meta.generators)) throw new Error('decodeCheckpoint: generators must be an object');
  if (meta.optimizer !== null && !(isObject(meta.optimizer) && isObject(meta.optimizer.state))) throw new Error('decodeCheckpoint: optimizer state must be an object { state, paramGroups } or null');
  if (meta.scheduler !== null && !isObject(meta.scheduler)) throw new Error('decodeCheckpoint: scheduler state must be an object or null');
  const generators = Object.fromEntries(Object.entries(meta.generators).map(([k, s]) => [k, decodeGeneratorState(s, k)]));
  const stateDict: StateDict = {};
  const optimizerTensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith('model.')) stateDict[k.slice('model.'.length)] = t;
    else if (k.startsWith(OPTIMIZER_PREFIX)) optimizerTensors[k] = t;
    else throw new Error(`decodeCheckpoint: unexpected tensor '${k}' (model tensors are stored as 'model.<key>', optimizer state as '${OPTIMIZER_PREFIX}<index>.<key>')`);
  }
  const optimizer = mergeOptimizerState(meta.optimizer as OptimizerStateDict | null, optimizerTensors);
  const scheduler = meta.scheduler as LRSchedulerStateDict | null;
  return {
    epoch: meta.epoch as number,
    step: meta.step as number,
    extra: meta.extra,
    stateDict,
    optimizer,
    scheduler,
    generators,
    restore(target) {
      if (target.optimizer && !optimizer) throw new Error('Checkpoint.restore: the checkpoint has no optimizer state');
      if (target.scheduler && !scheduler) throw new Error('Checkpoint.restore: the checkpoint has no scheduler state');
      for (const name of Object.keys(target.generators ?? {})) {
        if (!generators[name]) throw new Error(`Checkpoint.restore: the checkpoint has no state for generator '${name}'`);
      }
      // Check what can be checked without changing anything: generator states (on a scratch
      // generator) and the optimizer's state against this model's parameters.
      const scratch = new Generator();
      for (const name of Object.keys(target.generators ?? {})) {
        try {
          scratch.setState(generators[name]!);
        } catch (e) {
          throw new Error(`Checkpoint.restore: generator '${name}': ${(e as Error).message}`);
        }
      }
      const commitOptimizer = target.optimizer?.prepareLoadStateDict(optimizer!);
      // The schedule and the model each check before they change; the schedule (a few numbers)
      // is put back if the model then refuses its tensors.
      const schedBefore = target.scheduler?.stateDict();
      target.scheduler?.loadStateDict(scheduler!);
      try {
        target.model.loadStateDict(stateDict);
      } catch (e) {
        if (schedBefore) target.scheduler!.loadStateDict(schedBefore);
        throw e;
      }
      commitOptimizer?.();
      for (const [name, g] of Object.entries(target.generators ?? {})) g.setState(generators[name]!);
    },
  };
}
