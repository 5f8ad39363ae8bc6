// The consumption dashboard (Home Assistant's energy pattern): one period selector (day, month,
// year; arrows to step; compare with the period before), bars per hour/day/month of a meter beside
// the previous period, per utility (electricity, water, gas), meters ranked by consumption, and
// the consumption tree with its costs per tariff where configured. From /api/v1/history/series,
// /totals and /tree; a device without them gets a message saying so, never invented bars.
import { useEffect, useState } from 'preact/hooks';
import { apiGet } from '../api.js';
import { formatQuantity, locale, t } from '../i18n.js';

const PERIODS = [['day', 'hour', 'periodDay'], ['month', 'day', 'periodMonth'], ['year', 'month', 'periodYear']];
const UTILITY_KEY = { electricity: 'kindElectricity', water: 'kindWater', gas: 'kindGas', volume: 'kindOther' };
const isoDate = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

function utilityOf(series, device) {
  if (['Wh', 'kWh', 'MWh'].includes(series.unit)) return 'electricity';
  if (device?.kind === 'water' || device?.kind === 'gas') return device.kind;
  return 'volume';
}

function step(date, period, n) {
  const d = new Date(date);
  if (period === 'day') d.setDate(d.getDate() + n);
  else if (period === 'month') d.setMonth(d.getMonth() + n, 1);
  else d.setFullYear(d.getFullYear() + n, 0, 1);
  return d;
}

function periodName(date, period) {
  const options = period === 'day' ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
    : period === 'month' ? { month: 'long', year: 'numeric' } : { year: 'numeric' };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

// A bar's label from its local start (the site's time, as the device gives it): the hour, the day
// or the month; an hour that the autumn DST change repeats carries its UTC offset.
function barLabel(bar, resolution, bars) {
  const s = bar.start;
  if (resolution === 'hour') {
    const hour = s.slice(11, 13);
    const twice = bars.filter((b) => b.start.slice(11, 13) === hour).length > 1;
    return twice ? `${hour} (${s.slice(19)})` : hour;
  }
  if (resolution === 'day') return String(Number(s.slice(8, 10)));
  return new Intl.DateTimeFormat(locale(), { month: 'short' }).format(new Date(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, 1));
}

function Bars({ totals, compare }) {
  const { unit, resolution } = totals;
  const current = totals.current.bars;
  const previous = totals.previous?.bars || [];
  const max = Math.max(1e-9, ...current.map((b) => b.consumption ?? 0), ...(compare ? previous.map((b) => b.consumption ?? 0) : []));
  const pct = (v) => `${Math.round(((v ?? 0) / max) * 100)}%`;
  return (
    <div class="bars" data-bars={current.length}>
      {current.map((bar, i) => {
        const before = compare ? previous[i] : null;
        const words = `${barLabel(bar, resolution, current)}: ${bar.consumption === null ? t('noData') : formatQuantity(bar.consumption, unit)}`
          + (before ? `; ${t('previousPeriod')}: ${before.consumption === null ? t('noData') : formatQuantity(before.consumption, unit)}` : '');
        return (
          <div key={bar.start} class="bar-group" role="img" aria-label={words} title={words}>
            <div class="bar-pair">
              {before ? <span class="bar previous" style={{ height: pct(before.consumption) }} /> : null}
              <span class={bar.consumption === null ? 'bar missing' : 'bar'} style={{ height: bar.consumption === null ? '100%' : pct(bar.consumption) }} />
            </div>
            <span class="bar-label" aria-hidden="true">{barLabel(bar, resolution, current)}</span>
          </div>
        );
      })}
    </div>
  );
}

function Utility({ utility, rows, compare }) {
  const ranked = [...rows].sort((a, b) => (b.totals.current.total ?? -1) - (a.totals.current.total ?? -1));
  const [chosen, setChosen] = useState(null);
  const shown = ranked.find((r) => r.key === chosen) || ranked[0];
  const top = Math.max(1e-9, ...ranked.map((r) => r.totals.current.total ?? 0));
  const { current, previous } = shown.totals;
  const id = `meter-${utility}`;
  return (
    <section class="card utility" data-utility={utility} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t(UTILITY_KEY[utility])}</h2>
      <div class="field">
        <label for={id}>{t('meter')}</label>
        <select id={id} value={shown.key} onChange={(e) => setChosen(e.currentTarget.value)}>
          {ranked.map((r) => <option key={r.key} value={r.key}>{r.name}</option>)}
        </select>
      </div>
      <p class="big number period-total">{formatQuantity(current.total, shown.totals.unit)}</p>
      {compare && previous ? (
        <p class="note">{t('previousPeriod')}: <span class="number">{formatQuantity(previous.total, shown.totals.unit)}</span></p>
      ) : null}
      <Bars totals={shown.totals} compare={compare} />
      <p><a class="button chart-link" href={`#/chart/${shown.key.split('/').map(encodeURIComponent).join('/')}`}>{t('chartOpen')}</a></p>
      {ranked.length > 1 ? (
        <>
          <h3>{t('ranking')}</h3>
          <ol class="ranking">
            {ranked.map((r) => (
              <li key={r.key} data-series={r.key}>
                <span class="rank-name">{r.name}</span>
                <span class="number">{formatQuantity(r.totals.current.total, r.totals.unit)}</span>
                <span class="rank-bar" style={{ width: `${Math.round(((r.totals.current.total ?? 0) / top) * 100)}%` }} />
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}

function Tree({ tree }) {
  if (!tree.boards?.length) return null;
  const consumption = (c) => Object.entries(c || {}).map(([u, v]) => `${t(UTILITY_KEY[u] || 'kindOther')} ${formatQuantity(v.value, v.unit)}`).join(' · ');
  const costs = (list) => (list || []).map((c) => `${c.name}: ${new Intl.NumberFormat(locale(), { style: 'currency', currency: c.currency }).format(c.amount)}`).join(' · ');
  return (
    <section class="card tree" aria-labelledby="tree-title">
      <h2 id="tree-title">{t('treeTitle')}</h2>
      <ul class="plain">
        {tree.boards.map((b) => (
          <li key={b.id}>
            <strong>{b.name}</strong> {consumption(b.consumption)}
            {b.costs?.length ? <p class="note">{costs(b.costs)}</p> : null}
            <ul>
              {(b.groups || []).map((g) => (
                <li key={g.id}>{g.name}: {consumption(g.consumption)}{g.costs?.length ? ` — ${costs(g.costs)}` : ''}</li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Dashboard({ devices }) {
  const [period, setPeriod] = useState('day');
  const [anchor, setAnchor] = useState(() => new Date());
  const [compare, setCompare] = useState(true);
  const [state, setState] = useState({ status: 'loading' });
  const resolution = PERIODS.find((p) => p[0] === period)[1];
  const date = isoDate(anchor);

  useEffect(() => {
    let alive = true;
    (async () => {
      setState((s) => ({ ...s, status: 'loading' }));
      try {
        const { series } = await apiGet('/api/v1/history/series');
        // Water and gas first (a few pulse meters), then the electricity counters, at most 32.
        const counters = series.filter((s) => s.kind === 'counter')
          .sort((a, b) => Number(['Wh', 'kWh', 'MWh'].includes(a.unit)) - Number(['Wh', 'kWh', 'MWh'].includes(b.unit)))
          .slice(0, 32);
        const rows = (await Promise.all(counters.map(async (s) => {
          const q = new URLSearchParams({ device: s.device, quantity: s.quantity, resolution, date });
          try {
            const totals = await apiGet(`/api/v1/history/totals?${q}`);
            const device = devices.find((d) => d.id === s.device);
            return { key: `${s.device}/${s.quantity}`, name: `${device?.name || s.device} — ${s.quantity}`,
              utility: utilityOf(s, device), totals };
          } catch (e) { return null; }
        }))).filter(Boolean);
        let tree = null;
        if (rows.length) {
          const { from, to } = rows[0].totals.current;
          try { tree = await apiGet(`/api/v1/history/tree?${new URLSearchParams({ from, to })}`); } catch (e) { /* no tree configured */ }
        }
        if (alive) setState({ status: 'ok', rows, tree });
      } catch (e) {
        if (alive) setState({ status: e.status === 404 ? 'unavailable' : 'error', message: e.message });
      }
    })();
    return () => { alive = false; };
  }, [period, date, devices.length]);

  if (state.status === 'unavailable') {
    return <p class="notice dashboard-unavailable">{t('dashboardUnavailable')}</p>;
  }
  const utilities = ['electricity', 'water', 'gas', 'volume']
    .map((u) => [u, (state.rows || []).filter((r) => r.utility === u)]).filter(([, rows]) => rows.length);
  const future = step(anchor, period, 1) > new Date();
  return (
    <div class="dashboard">
      <div class="card period">
        <div class="period-kinds" role="group" aria-label={t('period')}>
          {PERIODS.map(([p, , key]) => (
            <button key={p} type="button" class="button" aria-pressed={period === p ? 'true' : 'false'}
                    onClick={() => setPeriod(p)}>{t(key)}</button>
          ))}
        </div>
        <div class="period-step">
          <button type="button" class="button" aria-label={t('periodBefore')} onClick={() => setAnchor(step(anchor, period, -1))}>‹</button>
          <p class="period-name" aria-live="polite">{periodName(anchor, period)}</p>
          <button type="button" class="button" aria-label={t('periodAfter')} disabled={future}
                  onClick={() => setAnchor(step(anchor, period, 1))}>›</button>
        </div>
        <label class="choice">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.currentTarget.checked)} />
          <span>{t('compare')}</span>
        </label>
      </div>
      {state.status === 'loading' && !state.rows ? <p>{t('loading')}</p> : null}
      {state.status === 'error' ? <p class="error-text">{t('serverError', { message: state.message })}</p> : null}
      {state.rows && !utilities.length ? <p class="no-history">{t('noHistory')}</p> : null}
      {utilities.map(([u, rows]) => <Utility key={u} utility={u} rows={rows} compare={compare} />)}
      {state.tree ? <Tree tree={state.tree} /> : null}
    </div>
  );
}
