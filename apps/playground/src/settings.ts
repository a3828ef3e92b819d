/**
 * How the Train tab trains: the trainer's defaults (tools/train/args.ts, DEFAULTS and
 * OPTIMIZER_DEFAULTS; a unit test keeps them equal), so a net trained in the page is trained
 * the way `pnpm start` trains one. Repeated here because args.ts parses command lines with
 * node:util, which a browser bundle cannot take.
 */
export const TRAINING = {
  optimizer: 'adamw',
  lr: 0.01,
  weightDecay: 0.05,
  momentum: 0.9,
  schedule: 'cosine',
  warmup: 100,
  labelSmoothing: 0.1,
  trainFusion: 'kernel',
} as const;

/** Choices offered on the page. */
export const BATCH_SIZES = [8, 16, 32, 64] as const;
export const DEFAULT_BATCH = 32;
