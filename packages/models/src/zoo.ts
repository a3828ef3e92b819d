/** Every model by name, and the static / Dy pairs the tools compare. */
import type { Module } from '@dynconv/nn';
import type { DyModelOptions } from './common.js';
import { dyMobile } from './dy/dy-mobile.js';
import { dyMobilenetV3Small } from './dy/dy-mobilenet-v3.js';
import { dyResnet18, dyResnet50 } from './dy/dy-resnet.js';
import { dyShufflenetV2 } from './dy/dy-shufflenet-v2.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import { mobilenetV3Small } from './mobilenet-v3.js';
import { resnet18, resnet50 } from './resnet.js';
import { shufflenetV2 } from './shufflenet-v2.js';

/** The builders, by name. Static builders ignore the Dy-only options. */
export const MODELS = {
  /** The {@link shufflenetV2} builder. */
  shufflenetV2,
  /** The {@link dyShufflenetV2} builder. */
  dyShufflenetV2,
  /** The {@link mobilenetV2} builder. */
  mobilenetV2,
  /** The {@link dyMobile} builder. */
  dyMobile,
  /** The {@link resnet18} builder. */
  resnet18,
  /** The {@link dyResnet18} builder. */
  dyResnet18,
  /** The {@link resnet50} builder. */
  resnet50,
  /** The {@link dyResnet50} builder. */
  dyResnet50,
  /** The {@link mobilenetV3Small} builder. */
  mobilenetV3Small,
  /** The {@link dyMobilenetV3Small} builder. */
  dyMobilenetV3Small,
} as const satisfies Record<string, (opts?: DyModelOptions) => Module>;

/** A model's name: a key of {@link MODELS}. */
export type ModelName = keyof typeof MODELS;

/** Each static backbone with its Dy- variant. */
export const STATIC_DY_PAIRS: readonly (readonly [ModelName, ModelName])[] = [
  ['shufflenetV2', 'dyShufflenetV2'],
  ['mobilenetV2', 'dyMobile'],
  ['resnet18', 'dyResnet18'],
  ['resnet50', 'dyResnet50'],
  ['mobilenetV3Small', 'dyMobilenetV3Small'],
];

/** Builds the model called `name`. */
export function createModel(name: ModelName, opts: DyModelOptions = {}): Module {
  const build = MODELS[name] as (o: DyModelOptions) => Module;
  if (!build) throw new Error(`createModel: unknown model ${JSON.stringify(name)}; known: ${Object.keys(MODELS).join(', ')}`);
  return build(opts);
}
