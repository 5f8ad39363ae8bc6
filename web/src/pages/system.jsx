// The administrator's home (#/system): is the box healthy, secure, backed up, on time? Alarms
// first (with an acknowledge where the API has one), then the state at a glance, then the way to
// every administrator page. #/system/<sub> are those pages (one lazily loaded chunk).
import { useState } from 'preact/hooks';
import { apiPost, session, usePoll } from '../api.js';
import { formatDateTime, formatDuration, formatNumber, t } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Page } from './devices.jsx';
import { BackupPage } from './system_backup.jsx';
import { CertificatePage } from './system_certificate.jsx';
import { Loading } from './config_kit.jsx';
import { SYSTEM_PAGES, SystemNav } from './system_common.jsx';
import { MaintenancePage } from './system_maintenance.jsx';
import { SitePage } from './system_site.jsx';
import { StoragePage } from './system_storage.jsx';
import { TimePage } from './system_time.jsx';

const PAGES = {
  time: TimePage, certificate: CertificatePage, backup: BackupPage, storage: StoragePage,
  site: SitePage, maintenance: MaintenancePage,
};
const DAY_MS = 86400000;
const LOW_DISK = 0.05; // a warning below 5 % free

export function formatBytes(bytes) {
  if (typeof bytes !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${formatNumber(v, i ? 1 : 0)}\u00a0${units[i]}`;
}

// What needs the administrator, in words, worst first. `ack` names an acknowledge the API has.
function alarmsOf(health, time, cert) {
  const alarms = [];
  const hs = health.history_state || {};
  if (hs.state === 'recovered_from_corruption') {
    alarms.push({ id: 'history-corrupt', bad: true, ack: true,
      text: t('alarmHistoryCorrupt', { since: formatDateTime(hs.since), file: hs.moved_aside || '—' }) });
  } else if (hs.state === 'unavailable') {
    alarms.push({ id: 'history-unavailable', bad: true, text: t('alarmHistoryUnavailable', { problem: hs.problem || '—' }) });
  }
  const w = health.history_writes;
  if (w && w.state === 'disk_full') {
    alarms.push({ id: 'disk-full', bad: true, text: t('alarmDiskFull', { since: formatDateTime(w.since), n: formatNumber(w.buffered_samples, 0) }) });
  } else if (w && w.state !== 'ok') {
    alarms.push({ id: 'history-failing', bad: true, text: t('alarmWritesFailing', { problem: w.problem || w.state }) });
  }
  const disk = health.disk;
  if (disk && disk.total_bytes > 0 && disk.free_bytes < disk.total_bytes * LOW_DISK && !(w && w.state === 'disk_full')) {
    alarms.push({ id: 'disk-low', bad: false, link: 'storage',
      text: t('alarmDiskLow', { free: formatBytes(disk.free_bytes), total: formatBytes(disk.total_bytes) }) });
  }
  if (w && w.dropped_samples > 0) {
    alarms.push({ id: 'dropped', bad: true, text: t('alarmDropped', { n: formatNumber(w.dropped_samples, 0) }) });
  }
  if (!health.time_trustworthy) {
    alarms.push({ id: 'time', bad: true, link: 'time',
      text: t('alarmTime', { problem: String(health.rtc_problem || '—').replace(/^[A-Z_]+: /, '') }) });
  }
  if (time?.rtc?.battery_warning) alarms.push({ id: 'battery', bad: false, link: 'time', text: t('alarmBattery') });
  const until = cert?.in_use?.not_after ? new Date(cert.in_use.not_after) : null;
  if (until && until - Date.now() < 30 * DAY_MS) {
    alarms.push({ id: 'certificate', bad: until < Date.now(), link: 'certificate', text: t('alarmCertificate', { date: formatDateTime(until) }) });
  }
  for (const d of health.misconfigured_devices || []) {
    alarms.push({ id: `device-${d.id}`, bad: false, text: t('alarmDevice', { id: d.id, problem: d.problem }) });
  }
  return alarms;
}

// An acknowledged alarm says so at once; the next health poll (5 s) removes it.
function Alarm({ alarm }) {
  const [state, setState] = useState('idle'); // idle | busy | done
  const [error, setError] = useState(null);
  const acknowledge = async () => {
    setState('busy');
    try {
      await apiPost('/api/v1/history/acknowledge', {});
      setState('done');
    } catch (e) {
      setError(t('serverError', { message: e.message }));
      setState('idle');
    }
  };
  return (
    <li class={alarm.bad ? 'alarm bad' : 'alarm'} data-alarm={alarm.id}>
      <p>{alarm.text}</p>
      {alarm.link ? <a class="button" href={`#/system/${alarm.link}`}>{t(SYSTEM_PAGES.find(([s]) => s === alarm.link)[1])}</a> : null}
      {alarm.ack && state !== 'done' ? <button type="button" class="button" disabled={state === 'busy'} onClick={acknowledge}>{t('alarmAcknowledge')}</button> : null}
      {state === 'done' ? <p class="ok-text" role="status">{t('alarmAcknowledged')}</p> : null}
      {error ? <p class="error-text" role="alert">{error}</p> : null}
    </li>
  );
}

function Row({ label, bad, children }) {
  return <div class={bad ? 'row bad' : 'row'}><dt>{label}</dt><dd>{children}</dd></div>;
}

function SystemHome() {
  const health = usePoll('/api/v1/health', 5000);
  const time = usePoll('/api/v1/system/time', 30000);
  const cert = usePoll('/api/v1/system/certificate', 300000);
  const h = health.data;
  const alarms = h ? alarmsOf(h, time.data, cert.data) : [];
  const w = h?.history_writes;
  const until = cert.data?.in_use?.not_after;
  return (
    <Page title={t('sysHomeTitle')} updatedAt={health.updatedAt}>
      {!h ? <Loading error={health.error} /> : (
        <>
          <section class="card" aria-labelledby="alarms-title">
            <h2 id="alarms-title">{t('alarmsTitle')}</h2>
            {alarms.length ? (
              <ul class="alarms plain">{alarms.map((a) => <Alarm key={a.id} alarm={a} />)}</ul>
            ) : <p class="ok-text" data-alarm="none">{t('alarmsNone')}</p>}
          </section>
          <section class="card" aria-labelledby="glance-title">
            <h2 id="glance-title">{t('sysGlance')}</h2>
            <dl class="rows">
              <Row label={t('site')}>{h.site}</Row>
              <Row label={t('version')}>{h.version} · {t('modelValue', { size: h.model_size })}</Row>
              <Row label={t('uptime')}>{formatDuration(h.uptime_s)}</Row>
              <Row label={t('deviceTime')} bad={!h.time_trustworthy}>
                {formatDateTime(h.time)} · {h.time_trustworthy ? t('sysTimeTrusted') : t('sysTimeUntrusted')}
              </Row>
              <Row label={t('rtc')} bad={time.data?.rtc?.battery_warning}>
                {t(`sysRtc_${h.rtc}`)}{time.data?.rtc?.battery_warning ? ` · ${t('sysBatteryShort')}` : ''}
              </Row>
              <Row label={t('history')} bad={!h.history}>
                {h.history ? t('historyOpen') : t(`sysHistory_${h.history_state?.state || 'unavailable'}`)}
              </Row>
              <Row label={t('sysWrites')} bad={w && w.state !== 'ok'}>
                {!w ? '—' : t(`sysWrites_${w.state}`, {})}
                {w?.last_commit ? ` · ${t('sysLastCommit', { time: formatDateTime(w.last_commit) })}` : ''}
              </Row>
              <Row label={t('sysDisk')} bad={h.disk && h.disk.free_bytes < h.disk.total_bytes * LOW_DISK}>
                {h.disk ? t('sysDiskFree', { free: formatBytes(h.disk.free_bytes), total: formatBytes(h.disk.total_bytes) })
                  : h.disk_problem || '—'}
              </Row>
              <Row label={t('sysCertExpiry')} bad={until && new Date(until) - Date.now() < 30 * DAY_MS}>
                {until ? formatDateTime(until) : '—'}
              </Row>
              <Row label={t('gateway')}>{h.modbus_port >= 0 ? t('portNumber', { port: h.modbus_port }) : t('gatewayOff')}</Row>
            </dl>
          </section>
        </>
      )}
      <section aria-labelledby="sys-pages-title">
        <h2 id="sys-pages-title">{t('sysPagesTitle')}</h2>
        <ul class="cards sys-links">
          {SYSTEM_PAGES.map(([sub, key]) => (
            <li key={sub} class="card"><a href={`#/system/${sub}`}>{t(key)}</a><p class="help">{t(`${key}Help`)}</p></li>
          ))}
          <li class="card"><a href="#/admin">{t('adminTitle')}</a><p class="help">{t('sysUsersHelp')}</p></li>
        </ul>
      </section>
    </Page>
  );
}

// Administrator only: other roles are told so (the server refuses their API calls anyway).
export function SystemPages({ sub }) {
  const current = useSignal(session);
  if (current.state === 'active' && current.role !== 'administrator') {
    return <Page title={t('sysHomeTitle')}><p class="error-text" role="alert">{t('sysAdminOnly')}</p></Page>;
  }
  const Sub = sub && PAGES[sub];
  if (sub && !Sub) return <Page title={t('sysHomeTitle')}><p class="error-text">{t('sysNoPage')}</p><SystemNav /></Page>;
  return Sub ? <Sub /> : <SystemHome />;
}
