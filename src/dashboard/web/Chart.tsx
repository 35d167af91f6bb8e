// A uPlot chart as a Preact component: bars over categories, optionally a share line on a 0–100 % scale.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** Props of {@link BarChart}. */
export interface BarChartProps {
  /** Category labels, one per bar. */
  labels: string[];
  /** Bar heights. */
  values: number[];
  /** Name of the bars (legend of the y axis). */
  name: string;
  /** A share (0–1) per category, drawn as a line on its own axis. */
  line?: { name: string; values: number[] };
  height?: number;
  /** Accessible description (the figures are also in the table beside the chart). */
  title: string;
}

const BAR = '#3b82f6';
const LINE = '#f59e0b';

/** Bars (and an optional share line); redrawn when the data changes. */
export function BarChart(p: BarChartProps) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const xs = p.labels.map((_, i) => i);
    const tilt = p.labels.length > 4 && p.labels.some((l) => l.length > 6) && p.labels.length < 24;
    const series: uPlot.Series[] = [
      {},
      { label: p.name, scale: 'n', fill: `${BAR}cc`, stroke: BAR, width: 1, paths: uPlot.paths.bars!({ size: [0.7, 48] }), points: { show: false } },
    ];
    const data: uPlot.AlignedData = [xs, p.values];
    const axes: uPlot.Axis[] = [
      // Many or long labels (outcome names) are turned so they do not run into each other.
      { splits: () => xs, values: (_u, splits) => splits.map((i) => p.labels[i] ?? ''), gap: 4, ...(tilt ? { rotate: -35, size: 78 } : { size: 36 }) },
      { scale: 'n', size: 56 },
    ];
    if (p.line) {
      series.push({ label: p.line.name, scale: '%', stroke: LINE, width: 2, points: { show: true, size: 5 }, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)}%`) });
      data.push(p.line.values.map((v) => v * 100));
      axes.push({ scale: '%', side: 1, size: 48, grid: { show: false }, values: (_u, vals) => vals.map((v) => `${v}%`) });
    }
    const plot = new uPlot(
      {
        width: Math.max(280, host.clientWidth),
        height: p.height ?? 220,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.6, xs.length - 0.4] }, n: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, '%': { range: [0, 100] } },
        series,
        axes,
      },
      data,
      host,
    );
    return () => plot.destroy();
  }, [p.labels.join('\u0000'), p.values.join(','), p.line?.values.join(','), p.name, p.line?.name]);
  return <div class="chart" ref={el} role="img" aria-label={p.title} />;
}
