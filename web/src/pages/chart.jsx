// History chart of any quantity of any device (electricity, water, gas; Modbus devices and pulse
// counters) over any period, in the Grafana/uPlot way (UI.md): drag across the plot or use the
// buttons to zoom and move; every new period is asked from /api/v1/history/chart with as many
// points as the plot is wide, so the device picks the resolution that fits (minute → hour → day →
// month → year), down to single minutes where minute data is still kept. The page says which
// resolution it shows and how far back each one goes (/api/v1/history/series' horizons), in the
// site's time zone, named. Route: #/chart/<device>/<quantity>.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet } from '../api.js';
import { formatNumber, lang, locale, t } from '../i18n.js';
import { Page } from './devices.jsx';

const HOUR = 3600;
const DAY = 86400;
const MIN_SPAN = 10 * 60; // the narrowest zoom: ten one-minute points
const PRESETS = [['day', DAY, 'chartLast24h'], ['week', 7 * DAY, 'chartLast7d'],
  ['month', 30 * DAY, 'chartLast30d'], ['year', 365 * DAY, 'chartLastYear']];
const TIERS = ['minute', 'hour', 'day', 'month', 'year'];
const TIER_KEY = { minute: 'chartTierMinute', hour: 'chartTierHour', day: 'chartTierDay', month: 'chartTierMonth', year: 'chartTierYear' };
const RESOLUTION_KEY = { minute: 'chartResMinute', hour: 'chartResHour', day: 'chartResDay', month: 'chartResMonth', year: 'chartResYear' };

const now = () => Math.floor(Date.now() / 1000);

function routeSeries() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { device: parts[1] || '', quantity: parts[2] || '' };
}

// "one point a minute", "one point per 5 minutes (minute data)", "one point a day".
function resolutionText(chart) {
  const n = chart.intervals_per_point;
  return t(`${RESOLUTION_KEY[chart.resolution]}${n > 1 ? 'N' : ''}`, n > 1 ? { n } : undefined);
}

// How long a resolution is kept: "60 days", "36 hours".
function keptText(seconds) {
  if (seconds >= DAY) return t('chartDays', { n: formatNumber(Math.round(seconds / DAY), 0) });
  return t('chartHours', { n: formatNumber(Math.round(seconds / HOUR), 0) });
}

function dateFormatter(zone, withZone) {
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    ...(withZone ? { timeZoneName: 'short' } : {}),
  });
}

// The points as uPlot columns: x = each point's start; a gap point's nulls break the line.
// Counters: the consumption in each point (delta); other series: average, minimum and maximum.
function columns(chart, counter) {
  const x = chart.points.map((p) => p.t);
  if (counter) return [x, chart.points.map((p) => (p.gap ? null : p.delta ?? null))];
  const col = (k) => chart.points.map((p) => (p.gap ? null : p[k] ?? null));
  return [x, col('avg'), col('min'), col('max')];
}

function Horizons({ horizons, current }) {
  if (!horizons) return null;
  const oldest = (iso) => (iso ? new Intl.DateTimeFormat(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso)) : t('chartNothingYet'));
  return (
    <table class="horizons">
      <caption>{t('chartHorizons')}</caption>
      <thead><tr><th scope="col">{t('chartResolution')}</th><th scope="col">{t('chartKept')}</th><th scope="col">{t('chartOldest')}</th></tr></thead>
      <tbody>
        {TIERS.map((tier) => {
          const h = horizons[tier] || {};
          return (
            <tr key={tier} data-tier={tier} class={tier === current ? 'current' : undefined} aria-current={tier === current ? 'true' : undefined}>
              <th scope="row">{t(TIER_KEY[tier])}</th>
              <td>{h.kept_s == null ? t('chartForever') : keptText(h.kept_s)}</td>
              <td>{oldest(h.oldest)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ChartPage() {
  const { device, quantity } = routeSeries();
  const [series, setSeries] = useState(null); // /history/series
  const [names, setNames] = useState({}); // device id -> {name, values: {quantity: name}}
  const [listError, setListError] = useState(null);
  const [preset, setPreset] = useState('day'); // the period chosen last: what "reset zoom" returns to
  const [zoomed, setZoomed] = useState(false);
  const [view, setView] = useState(() => ({ from: now() - DAY, to: now() }));
  const [chart, setChart] = useState(null); // the last answer shown, with the view it answers
  const [error, setError] = useState(null);
  const box = useRef(null);
  const plot = useRef(null);
  const request = useRef(0);
  const shown = useRef(null); // {key, data, from, to}: what the plot shows, for a plot made later

  useEffect(() => {
    apiGet('/api/v1/history/series').then((r) => setSeries(r.series), (e) => setListError(e));
    // Names only: the history works without them (ids are shown then).
    apiGet('/api/v1/devices').then((r) => setNames(Object.fromEntries((r.devices || []).map((d) => [d.id,
      { name: d.name, values: Object.fromEntries((d.values || []).map((v) => [v.quantity, v.name])) }]))), () => {});
  }, []);

  const chosen = series?.find((s) => s.device === device && s.quantity === quantity)
    || (series && !device ? series.find((s) => s.kind === 'counter') || series[0] : null);
  useEffect(() => {
    if (chosen && (chosen.device !== device || chosen.quantity !== quantity)) {
      location.replace(`#/chart/${encodeURIComponent(chosen.device)}/${encodeURIComponent(chosen.quantity)}`);
    }
  }, [chosen, device, quantity]);
  const counter = chosen?.kind === 'counter';
  const key = chosen ? `${chosen.device}/${chosen.quantity}` : '';
  const zone = chart?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  const deviceName = (id) => names[id]?.name || id;
  const quantityName = (s) => names[s.device]?.values[s.quantity] || s.quantity;

  // The plot, made once per series and language (its labels and formats), in the uPlot chunk.
  useEffect(() => {
    if (!chosen) return undefined;
    let cancelled = false;
    import('../history-chart.js').then(({ createHistoryChart }) => {
      if (cancelled || !box.current) return;
      plot.current?.destroy();
      const full = dateFormatter(zone, false);
      const unit = chosen.unit ? ` (${chosen.unit})` : '';
      const lines = counter
        ? [{ label: `${t('chartConsumption')}${unit}`, stroke: '#0057b8', fill: 'rgba(0, 87, 184, 0.15)', stepped: true }]
        : [{ label: `${t('chartAverage')}${unit}`, stroke: '#0057b8' },
          { label: t('chartMinimum'), stroke: '#6b8fb5', width: 1, dash: [4, 3] },
          { label: t('chartMaximum'), stroke: '#b5546b', width: 1, dash: [4, 3] }];
      plot.current = createHistoryChart(box.current, {
        series: lines,
        format: { locale: locale(), zone, timeLabel: t('chartTime'), time: (s) => full.format(new Date(s * 1000)),
          number: (v, digits) => formatNumber(v, digits) },
        onSelect: (from, to) => zoomTo(from, to),
      });
      const last = shown.current;
      if (last && last.key === key) plot.current.show(last.data, last.from, last.to);
    });
    return () => { cancelled = true; plot.current?.destroy(); plot.current = null; };
  }, [chosen?.device, chosen?.quantity, lang.value, zone]);

  // Each new period: one request; an older answer arriving late is dropped.
  useEffect(() => {
    if (!chosen) return undefined;
    const id = ++request.current;
    const width = box.current?.clientWidth || 600;
    const q = new URLSearchParams({ device: chosen.device, quantity: chosen.quantity, from: String(view.from),
      to: String(view.to), max_points: String(Math.max(10, Math.min(10000, Math.round(width)))) });
    setError(null);
    const timer = setTimeout(() => {
      apiGet(`/api/v1/history/chart?${q}`).then((answer) => {
        if (id !== request.current) return;
        setChart({ ...answer, view });
        setError(null);
        shown.current = { key, data: columns(answer, counter), from: view.from, to: view.to };
        plot.current?.show(shown.current.data, view.from, view.to);
      }, (e) => {
        if (id !== request.current) return;
        setError(e);
      });
    }, 120);
    return () => clearTimeout(timer);
  }, [chosen?.device, chosen?.quantity, view.from, view.to]);

  function zoomTo(from, to) {
    const end = Math.min(to, now());
    let start = Math.min(from, end - MIN_SPAN);
    if (end - start < MIN_SPAN) start = end - MIN_SPAN;
    setZoomed(true);
    setView({ from: Math.floor(start), to: Math.ceil(end) });
  }
  const span = view.to - view.from;
  const centre = (view.from + view.to) / 2;
  const zoomIn = () => zoomTo(centre - span / 4, centre + span / 4);
  const zoomOut = () => zoomTo(centre - span, centre + span);
  const move = (direction) => zoomTo(view.from + direction * span / 2, view.to + direction * span / 2);
  const choosePreset = (key) => {
    const seconds = PRESETS.find((p) => p[0] === key)[1];
    setPreset(key);
    setZoomed(false);
    setView({ from: now() - seconds, to: now() });
  };
  const atNow = view.to >= now() - 60;
  // Waiting for the answer to the period shown (a failed request says so instead).
  const loading = !error && (!chart || chart.view.from !== view.from || chart.view.to !== view.to);

  if (listError) {
    return <Page title={t('chartTitle')}><p class="error-text" role="alert">{listError.status === 503 ? t('chartNoHistory') : t('serverError', { message: listError.message })}</p></Page>;
  }
  if (!series) return <Page title={t('chartTitle')}><p>{t('loading')}</p></Page>;
  if (!series.length) return <Page title={t('chartTitle')}><p class="no-history">{t('chartNothingStored')}</p></Page>;

  const devices = [...new Set(series.map((s) => s.device))];
  const ofDevice = series.filter((s) => s.device === chosen?.device);
  const go = (d, q) => { location.hash = `#/chart/${encodeURIComponent(d)}/${encodeURIComponent(q)}`; };
  const range = dateFormatter(zone, true);
  const points = chart ? chart.points.filter((p) => !p.gap).length : 0;
  return (
    <Page title={t('chartTitle')}>
      <section class="card chart-controls" aria-label={t('chartSeries')}>
        <div class="chart-pick">
          <div class="field">
            <label for="chart-device">{t('chartDevice')}</label>
            <select id="chart-device" value={chosen?.device} onChange={(e) => {
              const d = e.currentTarget.value;
              const first = series.find((s) => s.device === d && s.kind === 'counter') || series.find((s) => s.device === d);
              go(d, first.quantity);
            }}>
              {devices.map((d) => <option key={d} value={d}>{deviceName(d)}</option>)}
            </select>
          </div>
          <div class="field">
            <label for="chart-quantity">{t('chartQuantity')}</label>
            <select id="chart-quantity" value={chosen?.quantity} onChange={(e) => go(chosen.device, e.currentTarget.value)}>
              {ofDevice.map((s) => <option key={s.quantity} value={s.quantity}>{quantityName(s)}{s.unit ? ` (${s.unit})` : ''}</option>)}
            </select>
          </div>
        </div>
        <div class="period-kinds" role="group" aria-label={t('period')}>
          {PRESETS.map(([key, , label]) => (
            <button key={key} type="button" class="button" aria-pressed={preset === key && !zoomed ? 'true' : 'false'}
                    onClick={() => choosePreset(key)}>{t(label)}</button>
          ))}
        </div>
      </section>
      <section class="card history-chart" aria-labelledby="chart-heading"
               data-resolution={chart?.resolution} data-per-point={chart?.intervals_per_point}
               data-from={view.from} data-to={view.to} data-loading={loading ? '1' : '0'}>
        <h2 id="chart-heading">{chosen ? `${deviceName(chosen.device)} — ${quantityName(chosen)}` : ''}</h2>
        <p class="chart-status" role="status" aria-live="polite">
          {chart ? <><strong class="chart-resolution">{resolutionText(chart)}</strong>{' · '}</> : null}
          <span class="chart-period">{range.formatRange ? range.formatRange(new Date(view.from * 1000), new Date(view.to * 1000))
            : `${range.format(new Date(view.from * 1000))} – ${range.format(new Date(view.to * 1000))}`}</span>
          {loading ? ` · ${t('loading')}` : chart ? ` · ${t('chartPoints', { n: formatNumber(points, 0) })}` : ''}
        </p>
        {error ? <p class="error-text" role="alert">{t('serverError', { message: error.message })}</p> : null}
        <div class="actions chart-zoom" role="group" aria-label={t('chartZoom')}>
          <button type="button" class="button" onClick={() => move(-1)} aria-label={t('chartEarlier')} title={t('chartEarlier')}>‹</button>
          <button type="button" class="button" onClick={zoomOut} aria-label={t('chartZoomOut')} title={t('chartZoomOut')}>−</button>
          <button type="button" class="button" onClick={zoomIn} disabled={span <= MIN_SPAN} aria-label={t('chartZoomIn')} title={t('chartZoomIn')}>+</button>
          <button type="button" class="button" onClick={() => choosePreset(preset)} disabled={!zoomed}>{t('chartReset')}</button>
          <button type="button" class="button" onClick={() => move(1)} disabled={atNow} aria-label={t('chartLater')} title={t('chartLater')}>›</button>
        </div>
        <div ref={box} class="chart" role="img"
             aria-label={chart ? `${t('chartTitle')}: ${quantityName(chosen)}, ${resolutionText(chart)}` : t('chartTitle')} />
        <p class="note">{t('chartHelp')} {t('chartZone', { zone })}</p>
        <Horizons horizons={chosen?.horizons} current={chart?.resolution} />
      </section>
    </Page>
  );
}
