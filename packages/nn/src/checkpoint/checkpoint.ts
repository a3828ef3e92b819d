/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped, in one
 * safetensors file. Model tensors are stored as tensors (`model.<key>`, readable by any
 * safetensors tool); the optimizer, the scheduler, generator states, epoch/step and free-form
 * extras (metrics, arguments, data-loader position) go in the header metadata as JSON.
 */
import { Generator, noGrad, type Tensor } from '@dynconv/core';
import type { Module, StateDict } from '../module.js';
import type { LRScheduler, LRSchedulerStateDict } from '../optim/lr-scheduler.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors } from '../serialization/safetensors.js';

/** What goes into a checkpoint. */
export interface CheckpointState {
  model: Module<never[], unknown>;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  /** Random generators by name (their exact stream positions are saved). */
  generators?: Record<string, Generator>;
  epoch: number;
  step: number;
  /** JSON-able extras: metrics so far, arguments, data-loader state. NaN becomes null. */
  extra?: Record<string, unknown>;
}

/** Where {@link Checkpoint.restore} puts the saved state. */
export interface RestoreTarget {
  model: Module<never[], unknown>;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  generators?: Record<string, Generator>;
}

/** A decoded checkpoint. */
export interface Checkpoint {
  epoch: number;
  step: number;
  extra: Record<string, unknown>;
  /** The model's state dict (keys without the `model.` prefix). */
  stateDict: StateDict;
  optimizer: OptimizerStateDict | null;
  scheduler: LRSchedulerStateDict | null;
  generators: Record<string, number[]>;
  /** Loads everything into `target`, all or nothing: on any error nothing is changed. */
  restore(target: RestoreTarget): void;
}

const META_KEY = 'dynconv.checkpoint';
const FORMAT = 'dynconv-checkpoint/1';

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
  const meta = {
    format: FORMAT,
    epoch: state.epoch,
    step: state.step,
    optimizer: state.optimizer?.stateDict() ?? null,
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
  if (!isObject(meta) || meta.format !== FORMAT) throw new Error(`decodeCheckpoint: unsupported checkpoint format ${JSON.stringify(isObject(meta) ? meta.format : meta)} (expected '${FORMAT}')`);
  for (const k of ['epoch', 'step'] as const) {
    const v = meta[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`decodeCheckpoint: ${k} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  if (!isObject(meta.extra)) throw new Error('decodeCheckpoint: extra must be an object');
  if (!isObject(meta.generators)) throw new Error('decodeCheckpoint: generators must be an object');
  if (meta.optimizer !== null && !isObject(meta.optimizer)) throw new Error('decodeCheckpoint: optimizer state must be an object or null');
  if (meta.scheduler !== null && !isObject(meta.scheduler)) throw new Error('decodeCheckpoint: scheduler state must be an object or null');
  const generators = Object.fromEntries(Object.entries(meta.generators).map(([k, s]) => [k, decodeGeneratorState(s, k)]));
  const stateDict: StateDict = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!k.startsWith('model.')) throw new Error(`decodeCheckpoint: unexpected tensor '${k}' (model tensors are stored as 'model.<key>')`);
    stateDict[k.slice('model.'.length)] = t;
  }
  const optimizer = meta.optimizer as OptimizerStateDict | null;
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
      // Snapshot first, so a failure half-way (say, an optimizer of another kind) rolls back.
      const modelBefore = Object.fromEntries(Object.entries(target.model.stateDict()).map(([k, t]) => [k, noGrad(() => t.clone())]));
      const optBefore = target.optimizer?.stateDict();
      const schedBefore = target.scheduler?.stateDict();
      try {
        target.model.loadStateDict(stateDict);
        if (target.optimizer) target.optimizer.loadStateDict(optimizer!);
        if (target.scheduler) target.scheduler.loadStateDict(scheduler!);
      } catch (e) {
        target.model.loadStateDict(modelBefore);
        if (target.optimizer && optBefore) target.optimizer.loadStateDict(optBefore);
        if (target.scheduler && schedBefore) target.scheduler.loadStateDict(schedBefore);
        throw e;
      }
      for (const [name, g] of Object.entries(target.generators ?? {})) g.setState(generators[name]!);
    },
  };
}
