// Administrator: the automatic reports (docs/reports.md). The list of reports with their
// configuration (add, edit, remove), the servers they use (SMTP, FTP(S), WebDAV), "send a test
// report now" and each report's last results and queued deliveries. Reads and writes the
// configuration's reports section (/api/v1/config/reports; validated with .../validate first, so
// each problem shows next to its field) and polls /api/v1/reports/status.
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost, usePoll } from '../api.js';
import { Confirm, Field } from '../form.jsx';
import { formatDateTime, t } from '../i18n.js';
import { appliedNote, Check, listOf, useConfigChange } from './config_kit.jsx';
import { Page } from './devices.jsx';

const PERIODS = [['PERIOD_DAILY', 'reportDaily'], ['PERIOD_WEEKLY', 'reportWeekly'], ['PERIOD_MONTHLY', 'reportMonthly']];
const LANGUAGES = [['REPORT_LANGUAGE_FRENCH', 'Français'], ['REPORT_LANGUAGE_ENGLISH', 'English']];
const TLS_MODES = [['TLS_MODE_STARTTLS', 'reportTlsStarttls'], ['TLS_MODE_IMPLICIT', 'reportTlsImplicit'], ['TLS_MODE_NONE', 'reportTlsNone']];

const NEW_REPORT = {
  name: '', enabled: true, period: 'PERIOD_DAILY', send_at_minute: 360, language: 'REPORT_LANGUAGE_FRENCH',
  devices: [], recipients: [], deposit_ftp: false, deposit_network_drive: false,
};

const hhmm = (minute) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const minuteOf = (text) => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};
const periodName = (p) => t(PERIODS.find(([v]) => v === p)?.[1] || 'reportDaily');

// A reports form's field errors: the message at `path` or at one of its items (`path[1]`); the
// paths found go into `shown`, so that the panel lists only the errors no field shows.
function fieldErrors(errors, shown) {
  return (path) => {
    const field = Object.keys(errors).find((f) => f === path || f.startsWith(`${path}[`));
    if (field) shown.add(field);
    return field ? errors[field] : undefined;
  };
}

// The end of a reports form: Save, Cancel, then the errors no field shows and the outcome.
function FormEnd({ change, shown, onDone }) {
  return (
    <>
      <div class="actions">
        <button type="submit" class="button primary" disabled={change.busy}>{t('reportSave')}</button>
        <button type="button" class="button" onClick={() => onDone(null)}>{t('cancel')}</button>
      </div>
      {change.panel(shown)}
    </>
  );
}

function ReportForm({ section, index, devices, onDone }) {
  const editing = index < section.list.length;
  const [draft, setDraft] = useState(editing ? { ...NEW_REPORT, ...section.list[index] } : { ...NEW_REPORT });
  const [time, setTime] = useState(hhmm(draft.send_at_minute));
  const [recipients, setRecipients] = useState((draft.recipients || []).join('\n'));
  const change = useConfigChange('reports', {
    onApplied: (answer) => onDone(`${t('reportSaved', { name: draft.name })} ${appliedNote(answer)}`),
  });
  const setTo = (key) => (value) => setDraft({ ...draft, [key]: value });
  const set = (key) => (e) => setTo(key)(e.currentTarget.value);
  const at = `reports.list[${index}].`;
  const shown = new Set();
  const field = fieldErrors(change.errors, shown);
  const err = (key) => field(at + key);
  const submit = (event) => {
    event.preventDefault();
    const minute = minuteOf(time);
    if (Number.isNaN(minute) || minute > 1439) { change.fail({ [`${at}send_at_minute`]: t('reportTimeFormat') }); return; }
    const list = [...section.list];
    list[index] = { ...draft, send_at_minute: minute, recipients: listOf(recipients) };
    change.submit({ reports: { ...section, list } });
  };
  const id = (key) => `report-${key}`;
  return (
    <form class="card form report-form" onSubmit={submit} noValidate aria-labelledby="report-form-title">
      <h2 id="report-form-title">{editing ? t('reportEdit', { name: section.list[index].name }) : t('reportAdd')}</h2>
      <Field id={id('name')} label={t('reportName')} help={t('reportNameHelp')} value={draft.name} error={err('name')}
             onInput={set('name')} autoComplete="off" />
      <Check path={id('enabled')} label={t('reportEnabled')} checked={draft.enabled} onValue={setTo('enabled')} />
      <Field id={id('period')} label={t('reportPeriod')} error={err('period')}>
        {(a) => <select {...a} value={draft.period} onChange={set('period')}>{PERIODS.map(([v, k]) => <option key={v} value={v}>{t(k)}</option>)}</select>}
      </Field>
      <Field id={id('time')} label={t('reportTime')} type="time" value={time} error={err('send_at_minute')}
             onInput={(e) => setTime(e.currentTarget.value)} />
      <Field id={id('language')} label={t('reportLanguage')} error={err('language')}>
        {(a) => <select {...a} value={draft.language} onChange={set('language')}>{LANGUAGES.map(([v, name]) => <option key={v} value={v}>{name}</option>)}</select>}
      </Field>
      <fieldset class="report-devices" aria-describedby={id('devices-help')}>
        <legend>{t('reportDevices')}</legend>
        <p id={id('devices-help')} class="help">{t('reportDevicesHelp')}</p>
        {devices.map((d) => (
          <label key={d.id} class="choice">
            <input type="checkbox" checked={draft.devices.includes(d.id)}
                   onChange={(e) => setDraft({ ...draft, devices: e.currentTarget.checked ? [...draft.devices, d.id] : draft.devices.filter((x) => x !== d.id) })} />
            <span>{d.name} ({d.id})</span>
          </label>
        ))}
        {err('devices') ? <p class="field-error">{err('devices')}</p> : null}
      </fieldset>
      <Field id={id('recipients')} label={t('reportRecipients')} help={t('reportRecipientsHelp')} error={err('recipients')}>
        {(a) => <textarea {...a} rows={3} value={recipients} onInput={(e) => setRecipients(e.currentTarget.value)} />}
      </Field>
      <Check path={id('ftp')} label={t('reportDepositFtp')} checked={draft.deposit_ftp} onValue={setTo('deposit_ftp')} />
      <Check path={id('drive')} label={t('reportDepositDrive')} checked={draft.deposit_network_drive} onValue={setTo('deposit_network_drive')} />
      <FormEnd change={change} shown={shown} onDone={onDone} />
    </form>
  );
}

function ServersForm({ section, onDone }) {
  const [draft, setDraft] = useState(section);
  const change = useConfigChange('reports', {
    onApplied: (answer) => onDone(`${t('reportServersSaved')} ${appliedNote(answer)}`),
  });
  const shown = new Set();
  const err = fieldErrors(change.errors, shown);
  // Sets draft[a][b]...: path "email.smtp.host".
  const set = (path, number) => (e) => {
    const next = structuredClone(draft);
    const keys = path.split('.');
    let node = next;
    for (const k of keys.slice(0, -1)) node = node[k];
    node[keys[keys.length - 1]] = number ? Number(e.currentTarget.value) : e.currentTarget.value;
    setDraft(next);
  };
  const get = (path) => path.split('.').reduce((n, k) => n?.[k], draft);
  const field = (path, label, extra = {}) => (
    <Field id={`server-${path.replace(/\./g, '-')}`} label={label} value={get(path) ?? ''} error={err(`reports.${path}`)}
           onInput={set(path, extra.type === 'number')} autoComplete="off" {...extra} />
  );
  const tls = (path) => (
    <Field id={`server-${path.replace(/\./g, '-')}`} label={t('reportTls')} error={err(`reports.${path}`)}>
      {(a) => <select {...a} value={get(path)} onChange={set(path)}>{TLS_MODES.map(([v, k]) => <option key={v} value={v}>{t(k)}</option>)}</select>}
    </Field>
  );
  // A server's address and login (SMTP, FTP): host, port, TLS mode, user, password.
  const server = (prefix) => (
    <>
      {field(`${prefix}.host`, t('reportHost'))}
      {field(`${prefix}.port`, t('reportPort'), { type: 'number', min: 1, max: 65535 })}
      {tls(`${prefix}.tls_mode`)}
      {field(`${prefix}.username`, t('reportUser'))}
      {field(`${prefix}.password`, t('reportPassword'), { type: 'password' })}
    </>
  );
  const submit = (event) => {
    event.preventDefault();
    change.submit({ reports: draft });
  };
  return (
    <form class="card form servers-form" onSubmit={submit} noValidate aria-labelledby="servers-title">
      <h2 id="servers-title">{t('reportServers')}</h2>
      <p class="help">{t('reportServersHelp')}</p>
      <fieldset>
        <legend>{t('reportSmtp')}</legend>
        {server('email.smtp')}
        {field('email.from_address', t('reportFrom'))}
      </fieldset>
      <fieldset>
        <legend>{t('reportFtp')}</legend>
        {server('ftp')}
        {field('ftp.remote_directory', t('reportDirectory'))}
      </fieldset>
      <fieldset>
        <legend>{t('reportDrive')}</legend>
        {field('network_drive.url', t('reportUrl'))}
        {field('network_drive.username', t('reportUser'))}
        {field('network_drive.password', t('reportPassword'), { type: 'password' })}
        {field('network_drive.remote_directory', t('reportDirectory'))}
      </fieldset>
      <FormEnd change={change} shown={shown} onDone={onDone} />
    </form>
  );
}

function Results({ name, status }) {
  const results = (status?.results || []).filter((r) => r.report === name);
  const pending = (status?.pending || []).filter((p) => p.report === name);
  return (
    <div class="report-results">
      <h3>{t('reportLastResults')}</h3>
      {results.length === 0 ? <p class="facts">{t('reportNoResult')}</p> : (
        <ul class="plain">
          {results.map((r) => (
            <li key={r.target} class={r.ok ? 'ok-text' : 'error-text'} data-ok={r.ok ? 'true' : 'false'}>
              <strong>{r.ok ? t('reportSent') : t('reportFailed')}</strong> · {formatDateTime(r.time)} · {r.target}
              {r.detail ? <span class="report-detail"> — {r.detail}</span> : null}
            </li>
          ))}
        </ul>
      )}
      {pending.length ? (
        <ul class="plain facts">
          {pending.map((p) => (
            <li key={p.target + p.attempts}>{t('reportQueued', {
              target: p.target, attempts: p.attempts,
              next: p.next_attempt ? formatDateTime(p.next_attempt) : t('reportNow'),
            })}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ReportCard({ report, devices, status, removing, onEdit, onRemove }) {
  const [test, setTest] = useState(null); // null | {busy} | {ok, message}
  const [confirm, setConfirm] = useState(false);
  const send = async () => {
    setTest({ busy: true });
    try {
      await apiPost(`/api/v1/reports/test?report=${encodeURIComponent(report.name)}`, {});
      setTest({ ok: true, message: t('reportTestSent') });
    } catch (e) {
      setTest({ ok: false, message: t('reportTestFailed', { message: e.message }) });
    }
  };
  const names = report.devices?.length
    ? report.devices.map((id) => devices.find((d) => d.id === id)?.name || id).join(', ') : t('reportAllDevices');
  const where = [
    report.recipients?.length ? t('reportByEmail', { to: report.recipients.join(', ') }) : '',
    report.deposit_ftp ? t('reportFtp') : '', report.deposit_network_drive ? t('reportDrive') : '',
  ].filter(Boolean).join(' · ');
  return (
    <li class="card report" data-report={report.name}>
      <h2>{report.name}{report.enabled ? '' : ` (${t('reportOff')})`}</h2>
      <p class="facts">{periodName(report.period)} · {hhmm(report.send_at_minute || 0)} ·{' '}
        {LANGUAGES.find(([v]) => v === report.language)?.[1] || '—'} · {names}</p>
      <p>{where || '—'}</p>
      <div class="actions">
        <button type="button" class="button primary" disabled={test?.busy} onClick={send}>
          {test?.busy ? t('reportTestSending') : t('reportTestNow')}
        </button>
        <button type="button" class="button" onClick={onEdit}>{t('reportEditButton')}</button>
        <button type="button" class="button" onClick={() => setConfirm(true)}>{t('reportRemove')}</button>
      </div>
      {confirm ? (
        <Confirm title={t('reportRemove')} question={t('reportRemoveConfirm', { name: report.name })} yes={t('reportRemoveYes')}
                 danger busy={removing} onYes={onRemove} onNo={() => setConfirm(false)} />
      ) : null}
      {test && !test.busy ? <p class={test.ok ? 'ok-text' : 'error-text'} role="status">{test.message}</p> : null}
      <Results name={report.name} status={status} />
    </li>
  );
}

export function ReportsPage() {
  const [section, setSection] = useState(null);
  const [devices, setDevices] = useState([]);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null); // null | index | 'servers'
  const [notice, setNotice] = useState(null);
  const status = usePoll('/api/v1/reports/status', 5000);
  const load = async () => {
    try {
      const [{ reports }, modbus, pulse] = await Promise.all([apiGet('/api/v1/config/reports'),
        apiGet('/api/v1/config/devices'), apiGet('/api/v1/config/pulse-counters')]);
      setSection({ ...reports, list: reports.list || [] });
      setDevices([...(modbus.modbus_devices || []), ...(pulse.pulse_counters || [])]);
      setError(null);
    } catch (e) {
      setError(t('serverError', { message: e.message }));
    }
  };
  useEffect(() => { load(); }, []);
  const done = (message) => { setEditing(null); setNotice(message); if (message) load(); };
  // A removal's outcome (or refusal) shows in the removal's panel, in place of the notice.
  const removal = useConfigChange('reports', {
    onApplied: (answer, { reports }) => {
      load();
      const gone = section.list.find((r) => !reports.list.some((x) => x.name === r.name));
      return `${t('reportRemoved', { name: gone?.name })} ${appliedNote(answer)}`;
    },
  });
  const remove = (index) => {
    setNotice(null);
    removal.submit({ reports: { ...section, list: section.list.filter((_, i) => i !== index) } });
  };
  return (
    <Page title={t('reportsTitle')} updatedAt={status.updatedAt}>
      {error ? <p class="error-text" role="alert">{error}</p> : null}
      {!section ? (!error ? <p>{t('loading')}</p> : null) : (
        <>
          {notice ? <p class="notice" role="status">{notice}</p> : removal.panel([])}
          {status.error && status.error.status === 404 ? <p class="facts">{t('reportsNoHistory')}</p> : null}
          {(status.data?.skipped || []).map((s) => <p key={s} class="error-text">{t('reportSkipped', { what: s })}</p>)}
          {editing === 'servers' ? <ServersForm section={section} onDone={done} />
            : editing !== null ? <ReportForm section={section} index={editing} devices={devices} onDone={done} /> : (
              <div class="actions">
                <button type="button" class="button primary" onClick={() => { setNotice(null); setEditing(section.list.length); }}>{t('reportAdd')}</button>
                <button type="button" class="button" onClick={() => { setNotice(null); setEditing('servers'); }}>{t('reportServers')}</button>
              </div>
            )}
          {section.list.length === 0 ? <p>{t('reportsNone')}</p> : null}
          <ul class="cards reports" aria-label={t('reportsTitle')}>
            {section.list.map((r, i) => (
              <ReportCard key={r.name} report={r} devices={devices} status={status.data} removing={removal.busy}
                          onEdit={() => { setNotice(null); setEditing(i); }} onRemove={() => remove(i)} />
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}
