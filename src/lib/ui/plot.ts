/**
 * Draws Observable Plot charts into their containers. Plot (and d3) load only when a chart is
 * first shown, not with the page. Charts are hidden from assistive technology: each has a caption
 * and a table with the same numbers.
 */
type PlotModule = typeof import('@observablehq/plot');

/** Builds and mounts the charts; returns a cancel function for an effect's teardown. */
export function drawCharts(build: (Plot: PlotModule) => readonly [HTMLElement, Element][]): () => void {
  let cancelled = false;
  void import('@observablehq/plot').then((Plot) => {
    if (cancelled) return;
    for (const [container, chart] of build(Plot)) {
      chart.setAttribute('aria-hidden', 'true');
      container.replaceChildren(chart);
    }
  });
  return () => {
    cancelled = true;
  };
}
