// Date and time: the device's clock and RTC (a dead-battery warning), the NTP servers and how they
// answer, a manual setting, and the NTP servers and time zone of the configuration.
import { useState } from 'preact/hooks';
import { apiPut, usePoll } from '../api.js';
import { formatDateTime, formatNumber, locale, t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Field } from '../form.jsx';
import { Loading, useConfigChange, useSection } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

const MAX_NTP = 4;

// "2026-12-07T14:05" for a datetime-local input, in the browser's zone.
function localInput(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

// The device's time in its own zone (the browser may be in another), zone named.
function deviceDateTime(iso, zone) {
  try {
    return new Intl.DateTimeFormat(locale(), {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      timeZone: zone, timeZoneName: 'short',
    }).format(new Date(iso));
  } catch (e) {
    return formatDateTime(iso); // a zone this browser does not know
  }
}

// The RTC's problem without the status code in front ("FAILED_PRECONDITION: …").
const problemText = (problem) => String(problem).replace(/^[A-Z_]+: /, '');

// Rounds answered out of the last 8 (one bit per round in `reach`).
const reachCount = (reach) => [...Number(reach || 0).toString(2)].filter((b) => b === '1').length;

// The page polls the time every 3 s: a time set here shows within that.
function Clock({ time }) {
  const [value, setValue] = useState(() => localInput(new Date()));
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setDone(null);
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) { setError(t('timeFormat')); return; }
    setError(null);
    setBusy(true);
    try {
      const answer = await apiPut('/api/v1/system/time', { time: date.toISOString() });
      setDone(t('timeSetDone', { time: formatDateTime(answer.time), previous: formatDateTime(answer.previous) }));
    } catch (err) {
      setError(t('serverError', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };
  const rtc = time.rtc || {};
  return (
    <section class="card" aria-labelledby="clock-title">
      <h2 id="clock-title">{t('timeClock')}</h2>
      {rtc.battery_warning ? <p class="alarm bad" role="alert" data-alarm="battery">{t('alarmBattery')}</p> : null}
      <dl class="rows">
        <div class={time.valid ? 'row' : 'row bad'}><dt>{t('deviceTime')}</dt>
          <dd data-field="device-time">{deviceDateTime(time.time, time.time_zone)} · {time.valid ? t('sysTimeTrusted') : t('sysTimeUntrusted')}</dd></div>
        <div class="row"><dt>{t('timeZone')}</dt><dd>{time.time_zone}</dd></div>
        <div class="row"><dt>{t('timeSource')}</dt><dd data-field="time-source">{t(`timeSource_${time.source}`)}</dd></div>
        <div class={rtc.problem && !time.valid ? 'row bad' : 'row'}><dt>{t('rtc')}</dt>
          <dd>{t(`sysRtc_${rtc.kind || 'unavailable'}`)}{rtc.problem ? ` · ${t('timeRtcAtStart', { problem: problemText(rtc.problem) })}` : ''}</dd></div>
      </dl>
      <form class="form" onSubmit={submit} noValidate>
        <h3>{t('timeManual')}</h3>
        <Field id="manual-time" label={t('timeManualLabel')} help={t('timeManualHelp')} error={error}>
          {(a) => <input {...a} type="datetime-local" step="1" value={value} onInput={(e) => setValue(e.currentTarget.value)} />}
        </Field>
        <div class="actions">
          <button type="button" class="button" onClick={() => setValue(localInput(new Date()))}>{t('timeUseBrowser')}</button>
          <button type="submit" class="button primary" disabled={busy}>{t('timeSet')}</button>
        </div>
        {done ? <p class="ok-text" role="status">{done}</p> : null}
      </form>
    </section>
  );
}

function NtpState({ ntp }) {
  if (!ntp) return null;
  return (
    <section class="card" aria-labelledby="ntp-title">
      <h2 id="ntp-title">{t('ntpState')}</h2>
      {!ntp.enabled ? <p data-field="ntp-off">{t('ntpOff', { reason: ntp.reason || '—' })}</p> : (
        <>
          <p class={ntp.last_round === 'ok' ? 'ok-text' : 'error-text'}>
            {ntp.last_sync ? t('ntpLastSync', { time: formatDateTime(ntp.last_sync), offset: formatNumber(ntp.last_offset_ms ?? 0) }) : t('ntpNever')}
          </p>
          <ul class="plain ntp-servers">
            {ntp.servers.map((s) => (
              <li key={s.server}>
                <strong>{s.server}</strong> — {t('ntpReach', { n: reachCount(s.reach) })}
                {s.delay_ms != null ? ` · ${t('ntpDelay', { delay: formatNumber(s.delay_ms), offset: formatNumber(s.offset_ms) })}` : ''}
                {s.last_result ? <span class="error-text"> · {s.last_result}</span> : null}
                {s.dropped ? <span class="error-text"> · {t('ntpDropped')}</span> : null}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Settings() {
  const { value, setValue, error, reload } = useSection('network');
  const { errors, busy, submit: save, panel } = useConfigChange('network', { onApplied: reload });
  if (!value) return <Loading error={error} />;
  const net = value.network;
  const servers = [...(net.ntp_servers || [])];
  while (servers.length < MAX_NTP) servers.push('');
  const set = (patch) => setValue({ network: { ...net, ...patch } });
  const setServer = (i, text) => {
    const next = [...servers];
    next[i] = text;
    set({ ntp_servers: next });
  };
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const submit = (e) => {
    e.preventDefault();
    // Empty lines are no server; the error paths count the servers kept.
    save({ network: { ...net, ntp_servers: servers.map((s) => s.trim()).filter(Boolean) } });
  };
  const kept = servers.map((s, i) => [s.trim(), i]).filter(([s]) => s).map(([, i]) => i);
  const serverError = (i) => errors[`network.ntp_servers[${kept.indexOf(i)}]`];
  return (
    <form class="form card" onSubmit={submit} noValidate aria-labelledby="ntp-settings-title">
      <h2 id="ntp-settings-title">{t('ntpSettings')}</h2>
      <p class="help">{t('ntpSettingsHelp')}</p>
      {servers.map((s, i) => (
        <Field key={i} id={`ntp-${i}`} label={t('ntpServer', { n: i + 1 })}
               error={serverError(i) || (i === 0 ? errors['network.ntp_servers'] : undefined)}>
          {(a) => <input {...a} type="text" inputMode="url" autocomplete="off" spellcheck={false} value={s}
                         onInput={(e) => setServer(i, e.currentTarget.value)} />}
        </Field>
      ))}
      <Field id="time-zone" label={t('timeZone')} help={t('timeZoneHelp')} error={errors['network.time_zone']}>
        {(a) => <input {...a} type="text" list="time-zones" autocomplete="off" spellcheck={false} value={net.time_zone}
                       onInput={(e) => set({ time_zone: e.currentTarget.value })} />}
      </Field>
      <datalist id="time-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
      <div class="actions"><button type="submit" class="button primary" disabled={busy}>{t('save')}</button></div>
      {panel(null, { id: 'ntp-result', restartLink: true })}
    </form>
  );
}

export function TimePage() {
  const time = usePoll('/api/v1/system/time', 3000);
  const ntp = usePoll('/api/v1/system/ntp', 15000);
  return (
    <Page title={t('sysTimeTitle')} updatedAt={time.updatedAt}>
      <SystemNav current="time" />
      {time.data ? <Clock time={time.data} /> : <Loading error={time.error} />}
      <NtpState ntp={ntp.data} />
      <Settings />
    </Page>
  );
}
