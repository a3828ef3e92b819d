/** Optimizers, learning-rate schedules and gradient clipping. */
export { Optimizer, type BaseOptions, type OptimizerSpec, type OptimizerStateDict, type OptionValue, type ParamGroup, type ParamGroupInput, type ParamState, type Params } from './optimizer.js';
export type { SerializedTensor, SpecialValue } from './serialize.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW } from './adamw.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { LRScheduler, type LRSchedulerStateDict } from './lr-scheduler.js';
export { StepLR, type StepLROptions } from './schedulers/step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './schedulers/multi-step-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './schedulers/cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions } from './schedulers/linear-lr.js';
export { SequentialLR } from './schedulers/sequential-lr.js';
export { ExponentialLR } from './schedulers/exponential-lr.js';
export { ConstantLR, type ConstantLROptions } from './schedulers/constant-lr.js';
export { PolynomialLR, type PolynomialLROptions } from './schedulers/polynomial-lr.js';
export { LambdaLR, type LrLambda } from './schedulers/lambda-lr.js';
export { CosineAnnealingWarmRestarts, type CosineAnnealingWarmRestartsOptions } from './schedulers/cosine-annealing-warm-restarts.js';
export { clipGradNorm, clipGradValue } from './clip.js';
