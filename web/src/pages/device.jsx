// One device: its state in words, every value (unconfirmed registers marked), and a live trend of
// one quantity drawn with uPlot (loaded on demand, so it is not part of the first load).
import { useEffect, useRef, useState } from 'preact/hooks';
import { usePoll } from '../api.js';
import { lang, t } from '../i18n.js';
import { loadDevices, useLiveDevices, useWatch } from '../live.js';
import { DeviceControls, useRole } from '../controls.jsx';

const CAN_TEST = ['administrator', 'installer']; // register_test
import { DeviceFacts, Page, StatusBadge, ValueList } from './devices.jsx';

const MAX_POINTS = 600;

function Trend({ device, quantity, samples }) {
  const box = useRef(null);
  const plot = useRef(null);
  const value = device.values.find((v) => v.quantity === quantity);
  useEffect(() => {
    let cancelled = false;
    import('../chart.js').then(({ createChart }) => {
      if (cancelled || !box.current) return;
      plot.current?.destroy();
      plot.current = createChart(box.current, value ? `${value.name} (${value.unit})` : quantity,
                                 samples.current[quantity] || [[], []]);
    });
    return () => { cancelled = true; plot.current?.destroy(); plot.current = null; };
  }, [quantity, lang.value]);
  useEffect(() => {
    plot.current?.setData(samples.current[quantity] || [[], []]);
  });
  return <div ref={box} class="chart" role="img" aria-label={`${t('trendTitle')}: ${value?.name || quantity}`} />;
}

export function DevicePage({ id }) {
  const { data, error, updatedAt } = useLiveDevices(loadDevices);
  useWatch([id]); // polled every 2 s while shown
  const role = useRole();
  const samples = useRef({});
  const [quantity, setQuantity] = useState(null);
  const device = data?.devices.find((d) => d.id === id);
  // The line's counters for its address (not pushed): every 10 s; pulse counters have none.
  const modbus = device && device.address !== undefined;
  const health = usePoll(modbus ? `/api/v1/devices/${encodeURIComponent(id)}/health` : null, 10000).data;
  // Each poll's values join the trend once (keyed by the poll's time), before the chart draws.
  if (device?.time) {
    const stamp = Date.parse(device.time) / 1000;
    for (const v of device.values) {
      const series = (samples.current[v.quantity] ||= [[], []]);
      if (series[0][series[0].length - 1] === stamp) continue;
      series[0].push(stamp);
      series[1].push(v.value);
      if (series[0].length > MAX_POINTS) { series[0].shift(); series[1].shift(); }
    }
  }
  if (!data) {
    return <Page title={id}>{error ? <p class="error-text">{error.message}</p> : <p>{t('loading')}</p>}</Page>;
  }
  if (!device) {
    return (
      <Page title={id}>
        <p>{t('deviceNotFound', { id })}</p>
        <p><a class="button" href="#/devices">{t('deviceBack')}</a></p>
      </Page>
    );
  }
  const selected = quantity || device.values[0]?.quantity;
  return (
    <Page title={device.name} updatedAt={updatedAt} live>
      <p><a href="#/devices">← {t('deviceBack')}</a></p>
      <section class="card" aria-labelledby="state-title">
        <h2 id="state-title" class="device-title">{device.profile} <StatusBadge device={device} /></h2>
        <DeviceFacts device={device} />
        {health?.link ? (
          <p class="facts link-health">
            {t('linkHealth', { answers: health.link.answers, requests: health.link.requests,
              timeouts: health.link.timeouts, crc: health.link.crc_errors, exceptions: health.link.exceptions })}
            {CAN_TEST.includes(role) ? <> · <a href={`#/test/${encodeURIComponent(device.id)}`}>{t('testThisDevice')}</a></> : null}
          </p>
        ) : null}
      </section>
      <DeviceControls device={device} />
      <section class="card" aria-labelledby="values-title">
        <h2 id="values-title">{t('values')}</h2>
        <ValueList values={device.values} />
      </section>
      {selected ? (
        <section class="card" aria-labelledby="trend-title">
          <h2 id="trend-title">{t('trendTitle')}</h2>
          <label class="field">
            <span>{t('trendOf')}</span>
            <select value={selected} onChange={(e) => setQuantity(e.currentTarget.value)}>
              {device.values.map((v) => <option key={v.quantity} value={v.quantity}>{v.name}{v.unit ? ` (${v.unit})` : ''}</option>)}
            </select>
          </label>
          <Trend device={device} quantity={selected} samples={samples} />
          <p class="note">{t('trendNote')}</p>
          <p><a class="button" href={`#/chart/${encodeURIComponent(device.id)}/${encodeURIComponent(selected)}`}>{t('chartOpen')}</a></p>
        </section>
      ) : null}
    </Page>
  );
}
