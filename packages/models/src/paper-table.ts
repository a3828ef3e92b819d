/**
 * The reference numbers the `pnpm flops` and `pnpm bench:models` tools compare with, kept in
 * one place: the DyNet paper's FLOPs table (ICLR version; ImageNet, 224x224) and CPU
 * latencies, and torchvision's parameter counts and FLOPs (its weights' `num_params` and
 * `_ops`, in GFLOPs = billions of multiply-adds).
 */
import type { ModelName } from './zoo.js';

/** torchvision's figures for a backbone. */
export interface TorchvisionFigures {
  /** torchvision's builder. */
  name: string;
  /** Parameters with 1000 classes (exact). */
  params: number;
  /** Multiply-adds at 224x224, in billions, as torchvision publishes them (rounded). */
  gflops: number;
}

/** torchvision's numbers for our five static backbones. */
export const TORCHVISION: Readonly<Partial<Record<ModelName, TorchvisionFigures>>> = {
  shufflenetV2: { name: 'shufflenet_v2_x1_0', params: 2_278_604, gflops: 0.145 },
  mobilenetV2: { name: 'mobilenet_v2', params: 3_504_872, gflops: 0.3 },
  mobilenetV3Small: { name: 'mobilenet_v3_small', params: 2_542_856, gflops: 0.06 },
  resnet18: { name: 'resnet18', params: 11_689_512, gflops: 1.81 },
  resnet50: { name: 'resnet50', params: 25_557_032, gflops: 4.09 },
};

/** One row of the paper's table, as we reproduce it. */
export interface PaperRow {
  /** Our builder. */
  model: ModelName;
  /** The paper's name for the network. */
  label: string;
  /** The paper's MFLOPs (millions of multiply-adds), or null where it gives none. */
  paperMFlops: number | null;
  /** The paper's ImageNet top-1 (%), or null. */
  paperTop1: number | null;
  /** The paper's CPU latency, batch 1 (i7-7700, Caffe), in ms, or null. */
  paperCpuMs: number | null;
  /**
   * For a Dy- row: the FLOPs reduction against its static network that the paper states, in %,
   * in its ICLR version (the table's numbers) and its arXiv version (which seems to include the
   * coefficient predictors and the kernel fusion).
   */
  paperReduction?: {
    /** The reduction the ICLR version states, in %. */
    iclr: number;
    /** The reduction the arXiv version states, in %. */
    arxiv: number;
  };
}

/**
 * The paper's table (ICLR version), in its order, plus the MobileNetV3-Small pair of the arXiv
 * version (accuracy only: 67.4% static per the MobileNetV3 paper, 70.3% Dy).
 */
export const PAPER_TABLE: readonly PaperRow[] = [
  { model: 'shufflenetV2', label: 'ShuffleNetV2 1.0', paperMFlops: 146, paperTop1: 69.4, paperCpuMs: null },
  { model: 'dyShufflenetV2', label: 'Dy-shuffle 1.0', paperMFlops: 88, paperTop1: 70.4, paperCpuMs: null, paperReduction: { iclr: 40.0, arxiv: 37.0 } },
  { model: 'mobilenetV2', label: 'MobileNetV2 1.0', paperMFlops: 298, paperTop1: 72.0, paperCpuMs: 109.1 },
  { model: 'dyMobile', label: 'Dy-mobile 1.0', paperMFlops: 129, paperTop1: 71.7, paperCpuMs: 58.3, paperReduction: { iclr: 56.7, arxiv: 54.7 } },
  { model: 'resnet18', label: 'ResNet18', paperMFlops: 1730, paperTop1: 69.6, paperCpuMs: 90.7 },
  { model: 'dyResnet18', label: 'Dy-ResNet18', paperMFlops: 550, paperTop1: 69.0, paperCpuMs: 68.7, paperReduction: { iclr: 68.2, arxiv: 67.2 } },
  { model: 'resnet50', label: 'ResNet50', paperMFlops: 3890, paperTop1: 76.3, paperCpuMs: 199.6 },
  { model: 'dyResnet50', label: 'Dy-ResNet50', paperMFlops: 1075, paperTop1: 76.3, paperCpuMs: 135.1, paperReduction: { iclr: 72.4, arxiv: 71.3 } },
  { model: 'mobilenetV3Small', label: 'MobileNetV3-Small', paperMFlops: null, paperTop1: 67.4, paperCpuMs: null },
  { model: 'dyMobilenetV3Small', label: 'Dy-MobileNetV3-Small', paperMFlops: null, paperTop1: 70.3, paperCpuMs: null },
];

/** The paper's row for `model`, if it has one. */
export function paperRow(model: ModelName): PaperRow | undefined {
  return PAPER_TABLE.find((r) => r.model === model);
}

/** The CPU speed-up the paper measured for a static / Dy pair (static latency / Dy latency), or null. */
export function paperSpeedup(staticModel: ModelName, dyModel: ModelName): number | null {
  const a = paperRow(staticModel)?.paperCpuMs;
  const b = paperRow(dyModel)?.paperCpuMs;
  return a && b ? a / b : null;
}
