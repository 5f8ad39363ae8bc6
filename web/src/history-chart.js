// The history chart (uPlot, in the lazily loaded uPlot chunk): one series of any device over any
// period, in the site's time zone, with the language's number and date formats. Dragging across
// the plot selects a period: `onSelect(from, to)` (Unix seconds) asks for it; the page fetches
// the data at the resolution that fits and hands it back with `show()`. Gaps stay gaps: a null
// value (the API's "gap" points) breaks the line, it is never joined across (spanGaps false).
import uPlot from 'uplot';

const HEIGHT = 260;
const DAY = 86400;

// Tick labels: the hour within a day, then day and month, then month and year, then the year,
// formatted by Intl in the site's zone (FR "07/12", "déc. 2026"; EN "07/12", "Dec 2026").
function tickFormatter(locale, zone) {
  const make = (options) => new Intl.DateTimeFormat(locale, { timeZone: zone, ...options });
  const hour = make({ hour: '2-digit', minute: '2-digit' });
  const day = make({ day: '2-digit', month: '2-digit' });
  const dayHour = make({ day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  const month = make({ month: 'short', year: 'numeric' });
  const year = make({ year: 'numeric' });
  return (splits, increment) => {
    let previousDay = null;
    return splits.map((s) => {
      const date = new Date(s * 1000);
      if (increment < DAY) {
        // The first tick of each day carries its date.
        const d = day.format(date);
        const label = d !== previousDay && previousDay !== null ? dayHour.format(date) : hour.format(date);
        previousDay = d;
        return label;
      }
      if (increment < 28 * DAY) return day.format(date);
      if (increment < 365 * DAY) return month.format(date);
      return year.format(date);
    });
  };
}

// `element`: the container; `series`: [{label, stroke, width?, dash?, stepped?, fill?}];
// `format`: {number(v), time(seconds), locale, zone}. Returns {show(data, from, to), destroy()}.
export function createHistoryChart(element, { series, format, onSelect }) {
  const width = () => Math.max(240, element.clientWidth);
  const ticks = tickFormatter(format.locale, format.zone);
  const plot = new uPlot({
    width: width(),
    height: HEIGHT,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), format.zone),
    cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
    select: { show: true },
    legend: { show: true, live: true },
    scales: { x: { time: true } },
    series: [
      { label: format.timeLabel, value: (u, v) => (v == null ? '—' : format.time(v)) },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.stroke,
        width: s.width ?? 2,
        dash: s.dash,
        fill: s.fill,
        spanGaps: false,
        paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
        // uPlot's default: points drawn where they are sparse enough to see (an isolated minute
        // between gaps stays visible), none on a dense line.
        value: (u, v) => (v == null ? '—' : format.number(v)),
      })),
    ],
    axes: [
      { values: (u, splits, axis, space, increment) => ticks(splits, increment), space: 70 },
      { size: 64, values: (u, splits) => splits.map((v) => format.number(v, 3)) },
    ],
    hooks: {
      setSelect: [(u) => {
        const { left, width: w } = u.select;
        if (w > 4) onSelect(Math.floor(u.posToVal(left, 'x')), Math.ceil(u.posToVal(left + w, 'x')));
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
      }],
    },
  }, [[], ...series.map(() => [])], element);
  const resize = () => plot.setSize({ width: width(), height: HEIGHT });
  window.addEventListener('resize', resize);
  return {
    show(data, from, to) {
      plot.setData(data, false);
      plot.setScale('x', { min: from, max: to });
    },
    destroy() {
      window.removeEventListener('resize', resize);
      plot.destroy();
    },
  };
}
