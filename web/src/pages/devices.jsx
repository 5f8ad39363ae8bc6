// Installer's home: every line and device, their state in words, their latest values.
import { formatDateTime, formatQuantity, formatTime, t } from '../i18n.js';
import { loadDevices, useLiveDevices } from '../live.js';
import { LiveStatus } from '../live-status.jsx';
import { deviceStatus, STATUS_KEY } from '../status.js';

export function StatusBadge({ device }) {
  const status = deviceStatus(device);
  return <span class={`badge badge-${status}`}>{t(STATUS_KEY[status])}</span>;
}

export function DeviceFacts({ device }) {
  const status = deviceStatus(device);
  // Since when it is in its state: the live state change, else the line's absence.
  const since = device.since || (status === 'absent' ? device.link?.absent_since : null);
  return (
    <p class="facts">
      {t('line', { line: device.line })}
      {since && status !== 'waiting' ? <> · <span class="since">{t('stateSince', { time: formatDateTime(since) })}</span></> : null}
      {device.time ? <> · {t('lastPoll', { time: formatDateTime(device.time) })}</> : null}
      {status !== 'online' && status !== 'waiting' && device.state
        ? <> · <span class="error-text">{t('lastError', { error: device.state })}</span></>
        : null}
    </p>
  );
}

export function ValueList({ values, limit }) {
  const shown = limit ? values.slice(0, limit) : values;
  return (
    <dl class="values">
      {shown.map((v) => (
        <div key={v.quantity} class={v.unconfirmed ? 'value unconfirmed' : 'value'}
             data-quantity={v.quantity}>
          <dt>{v.name}</dt>
          <dd>
            <span class="number">{formatQuantity(v.value, v.unit)}</span>
            {v.unconfirmed
              ? <span class="tag" title={t('unconfirmedHelp')}>{t('unconfirmed')}<span class="sr-only">: {t('unconfirmedHelp')}</span></span>
              : null}
          </dd>
        </div>
      ))}
    </dl>
  );
}

// A device as a card: its name (a link to its page), state, last poll, values.
export function DeviceCard({ device, limit }) {
  return (
    <li class="card device" data-device={device.id}>
      <h2 class="device-title">
        <a href={`#/devices/${encodeURIComponent(device.id)}`}>{device.name}</a>
        <StatusBadge device={device} />
      </h2>
      <DeviceFacts device={device} />
      <ValueList values={device.values} limit={limit} />
    </li>
  );
}

export function Lines({ data }) {
  const gateway = data.gateway || {};
  return (
    <section aria-labelledby="lines-title" class="card">
      <h2 id="lines-title">{t('linesTitle')}</h2>
      <ul class="plain">
        {data.lines.map((line) => (
          <li key={line.name}>
            <strong>{line.name}</strong>{' '}
            <span class={line.available ? 'ok-text' : 'error-text'}>
              {line.available ? t('lineAvailable') : t('lineUnavailable', { problem: line.problem || '' })}
            </span>
          </li>
        ))}
        <li>
          {gateway.port !== undefined ? t('gatewayPort', { port: gateway.port })
            : gateway.disabled ? t('gatewayDisabled') : t('gatewayProblem', { problem: gateway.problem || '' })}
        </li>
      </ul>
    </section>
  );
}

export function DevicesPage() {
  const { data, error, updatedAt } = useLiveDevices(loadDevices);
  if (!data) {
    return <Page title={t('devicesTitle')}>{error ? <p class="error-text">{error.message}</p> : <p>{t('loading')}</p>}</Page>;
  }
  const online = data.devices.filter((d) => d.online).length;
  return (
    <Page title={t('devicesTitle')} updatedAt={updatedAt} live>
      <p class="summary" aria-live="polite">{t('devicesSummary', { online, total: data.devices.length })}</p>
      <Lines data={data} />
      {data.devices.length === 0 ? <p>{t('noDevices')}</p> : null}
      <ul class="cards" aria-label={t('devicesTitle')}>
        {data.devices.map((device) => <DeviceCard key={device.id} device={device} limit={6} />)}
      </ul>
    </Page>
  );
}

export function Page({ title, updatedAt, live, children }) {
  return (
    <>
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>{title}</h1>
        {live ? <LiveStatus updatedAt={updatedAt} />
          : updatedAt ? <p class="updated">{t('updated', { time: formatTime(updatedAt) })}</p> : null}
      </div>
      {children}
    </>
  );
}
