import type { Generator } from '@dynconv/core';

/** Options every layer with weights takes. */
export interface LayerOptions {
  /** float32 (default) or float64 (for gradient checks). */
  dtype?: 'float32' | 'float64';
  /** Generator for the initial weights; the default generator unless given. */
  generator?: Generator;
  /** Backend for the weights; the current default unless given. */
  backend?: string;
}

/** `(a, b)` as PyTorch prints tuples. */
export function tuple(v: number | readonly number[]): string {
  const p = typeof v === 'number' ? [v, v] : v;
  return `(${p.join(', ')})`;
}
