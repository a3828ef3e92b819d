/**
 * The claims that are settled by counting rather than training: the FLOPs reductions of the
 * paper's ImageNet networks (profiled at 224x224 by @dynconv/models, as `pnpm flops` does), and
 * how the Dy-CNN's inference cost compares with the static nets' as the input grows (the
 * kernel mixing does not depend on H and W, so larger inputs gain more).
 */
import { createModel, PAPER_TABLE, profile, STATIC_DY_PAIRS } from '@dynconv/models';
import { inferenceCost } from '../models/cost.js';
import { DyCnn } from '../models/dy-cnn.js';
import { modelConfig } from '../train/run.js';
import type { Budget } from './budget.js';

/** One static / Dy pair of the paper's table. */
export interface FlopsRow {
  staticModel: string;
  dyModel: string;
  /** The paper's name of the Dy-network. */
  label: string;
  /** MFLOPs (millions of multiply-adds) of each, ours. */
  staticMFlops: number;
  dyMFlops: number;
  /** Our reduction in %, everything counted (predictors and kernel mixing included). */
  reduction: number;
  /** Our reduction counting convolutions only (as the paper's ICLR table appears to). */
  reductionConvOnly: number;
  /** The paper's stated reductions (ICLR, arXiv), in %. */
  paperIclr: number;
  paperArxiv: number;
}

/** Profiles each static / Dy pair that the paper gives a reduction for, on one `size`x`size` image (eval mode). */
export function flopsReductions(size = 224): FlopsRow[] {
  const rows: FlopsRow[] = [];
  for (const [st, dy] of STATIC_DY_PAIRS) {
    const paper = PAPER_TABLE.find((r) => r.model === dy)?.paperReduction;
    if (!paper) continue;
    const cost = (name: typeof st) => {
      const p = profile(createModel(name).eval(), [1, 3, size, size]);
      return { all: p.macs, convOnly: p.macs - p.breakdown.fusion - p.breakdown.predictor };
    };
    const a = cost(st);
    const d = cost(dy);
    rows.push({
      staticModel: st,
      dyModel: dy,
      label: PAPER_TABLE.find((r) => r.model === dy)!.label,
      staticMFlops: a.all / 1e6,
      dyMFlops: d.all / 1e6,
      reduction: 100 * (1 - d.all / a.all),
      reductionConvOnly: 100 * (1 - d.convOnly / a.convOnly),
      paperIclr: paper.iclr,
      paperArxiv: paper.arxiv,
    });
  }
  return rows;
}

/** The Dy-CNN's inference MMAC next to the static nets' at one input size. */
export interface ScalingRow {
  size: number;
  mmac: Record<'dynamic' | 'static' | 'static-wide', number>;
  /** Dynamic over static (1 = the same cost), and dynamic over static-wide. */
  dynamicOverStatic: number;
  dynamicOverWide: number;
}

/** Counts the three study nets' inference multiply-adds per image at growing input sizes (28 is the data's). */
export function inputScaling(b: Budget, sizes = [28, 56, 112, 224]): ScalingRow[] {
  const kinds: ('dynamic' | 'static' | 'static-wide')[] = ['dynamic', 'static', 'static-wide'];
  const nets = Object.fromEntries(
    kinds.map((model) => [model, new DyCnn(modelConfig({ model, stem: b.stem, widths: b.widths, groupSize: b.groupSize }))]),
  ) as Record<(typeof kinds)[number], DyCnn>;
  return sizes.map((size) => {
    const mmac = Object.fromEntries(kinds.map((k) => [k, inferenceCost(nets[k], size, size).total / 1e6])) as ScalingRow['mmac'];
    return { size, mmac, dynamicOverStatic: mmac.dynamic / mmac.static, dynamicOverWide: mmac.dynamic / mmac['static-wide'] };
  });
}
