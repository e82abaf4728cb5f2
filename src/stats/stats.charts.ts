/** One bar of a chart: its label, its length (0 to 1 of the longest) and the value as published. */
export interface Bar {
  label: string;
  width: number;
  display: string;
}

/** A chart as the pages draw it (views/stats/partials/chart.ejs): SVG bars, a summary, a data table. */
export interface Chart {
  id: string;
  title: string;
  /** One sentence saying what the chart shows (also the SVG's description). */
  summary: string;
  bars: Bar[];
  table: { headers: string[]; rows: string[][] };
}

const SVG_LABEL_CHARS = 34;

/**
 * Bars from labelled values: a value below the threshold gets no bar and reads "< threshold", so
 * neither the drawing nor the table tells a small number.
 */
export function barsOf(
  items: readonly { label: string; value: number }[],
  threshold: number,
  format: (n: number) => string,
): Bar[] {
  const max = Math.max(0, ...items.map((i) => (i.value >= threshold ? i.value : 0)));
  return items.map((item) => ({
    label: item.label.length > SVG_LABEL_CHARS ? `${item.label.slice(0, SVG_LABEL_CHARS - 1)}…` : item.label,
    width: item.value >= threshold && max > 0 ? item.value / max : 0,
    display: item.value >= threshold ? format(item.value) : `< ${threshold}`,
  }));
}
