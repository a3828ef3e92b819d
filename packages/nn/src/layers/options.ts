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

/** A number as given, `[a, b]` as a tuple: how PyTorch's pooling layers print their sizes. */
export function sizeRepr(v: number | readonly number[]): string {
  return typeof v === 'number' ? String(v) : tuple(v);
}

/** A value as PyTorch's `extra_repr` writes it: True, False, None, and `1e-05` for small floats. */
export function py(v: number | boolean | null): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  const a = Math.abs(v);
  // Python's repr goes to exponent notation below 1e-4 and from 1e16, with 2 exponent digits.
  if (Number.isFinite(v) && a !== 0 && (a < 1e-4 || a >= 1e16)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}

/** `(a, b)` as PyTorch prints tuples. */
export function tuple(v: number | readonly number[]): string {
  const p = typeof v === 'number' ? [v, v] : v;
  return `(${p.join(', ')})`;
}
