// uPlot, in its own chunk: only pages with a chart load it. Gaps stay gaps (spanGaps false).
import uPlot from 'uplot';

export function createChart(element, label, data) {
  const width = () => Math.max(240, element.clientWidth);
  const plot = new uPlot({
    width: width(),
    height: 220,
    series: [{}, { label, stroke: '#0057b8', width: 2, spanGaps: false }],
    axes: [{}, { size: 60 }],
    scales: { x: { time: true } },
    legend: { show: true },
  }, data, element);
  const resize = () => plot.setSize({ width: width(), height: 220 });
  window.addEventListener('resize', resize);
  const destroy = plot.destroy.bind(plot);
  plot.destroy = () => { window.removeEventListener('resize', resize); destroy(); };
  return plot;
}
