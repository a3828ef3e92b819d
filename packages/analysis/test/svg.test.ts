/** The SVG writer: well-formed documents with the expected parts, escaped text, ticks. */
import { describe, expect, it } from 'vitest';
import { balanced } from './balanced.js';
import { escapeXml, histogram, niceTicks, renderBinBars, renderErrorBarChart, renderHistogramGrid } from '../src/index.js';

describe('svg', () => {
  it('escapes text and picks round ticks', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(97.3, 99.1, 4)).toEqual([97.5, 98, 98.5, 99]);
  });

  it('draws a histogram grid: a bar per non-empty bin, column and row labels, notes', () => {
    const h = histogram([0.1, 0.15, -0.5, 0.9]);
    const svg = renderHistogramGrid({ title: 'r <grid>', columns: ['static', 'dynamic'], rows: [{ label: 'stage1', cells: [{ histogram: h, note: 'mean |r| 0.41' }, null] }] });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('r &lt;grid&gt;');
    expect(svg).toContain('mean |r| 0.41');
    expect(svg).toContain('(none)');
    expect(svg.match(/<rect [^>]*fill="#0072b2"/g)?.length).toBe(3); // bins at 0.1, -0.5, 0.9
  });

  it('draws error bars on linear and log axes, and stacked bin bars', () => {
    const svg = renderErrorBarChart({
      title: 'accuracy',
      panels: [
        { title: 'MNIST', xLabel: 'MMAC', yLabel: '%', xLog: true, series: [{ label: 'dynamic', points: [{ x: 1.9, y: 98.6, error: 0.1, label: 'g 4' }] }, { label: 'wide', points: [{ x: 22, y: 98.8, error: 0 }] }] },
        { title: 'g', xLabel: 'g', yLabel: '%', series: [{ label: 'g', line: true, points: [1, 2, 4].map((x) => ({ x, y: 90 + x, error: 0.5 })) }] },
      ],
    });
    expect(balanced(svg)).toBe(true);
    expect(svg.match(/<circle /g)?.length).toBe(2 + 3 + 3); // points plus one legend mark per series
    expect(svg).toContain('g 4');
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L/);
    const bars = renderBinBars({ title: 'bins', groups: [{ label: 'stage1.conv1', rows: [{ label: 'static', fractions: { strong: 0.1, medium: 0.2, weak: 0.3, none: 0.4 } }] }] });
    expect(balanced(bars)).toBe(true);
    expect(bars).toContain('S+M 30.0%');
  });
});
