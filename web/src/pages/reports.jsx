// Administrator: the automatic reports (docs/reports.md). The list of reports with their
// configuration (add, edit, remove), the servers they use (SMTP, FTP(S), WebDAV), "send a test
// report now" and each report's last results and queued deliveries. Reads and writes the
// configuration's reports section (/api/v1/config/reports; validated with .../validate first, so
// each problem shows next to its field) and polls /api/v1/reports/status.
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost, apiPut, usePoll } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
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

// The device's answer as one message per field: {"reports.list[0].name": "..."}.
const byField = (errors) => Object.fromEntries((errors || []).map((e) => [e.field, e.message]));

// Validates the section, then applies it. Resolves to null when applied, else the field errors.
async function save(reports) {
  const body = { reports };
  const checked = await apiPost('/api/v1/config/reports/validate', body);
  if (!checked.valid) return byField(checked.errors);
  await apiPut('/api/v1/config/reports', body);
  return null;
}

function Input({ id, label, error, help, kind = 'input', children, ...input }) {
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': describedBy, ...input };
  if (kind === 'checkbox') {
    return (
      <div class="field">
        <label class="choice"><input type="checkbox" {...common} /> <span>{label}</span></label>
        {error ? <p id={`${id}-error`} class="field-error">{error}</p> : null}
      </div>
    );
  }
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {kind === 'select' ? <select {...common}>{children}</select>
        : kind === 'textarea' ? <textarea rows={3} {...common} /> : <input {...common} />}
      {help ? <p id={`${id}-help`} class="help">{help}</p> : null}
      {error ? <p id={`${id}-error`} class="field-error">{error}</p> : null}
    </div>
  );
}

// The messages of `errors` whose field starts with `prefix` and matches none of `known`.
function Others({ errors, prefix, known }) {
  const rest = Object.entries(errors).filter(([f]) => f.startsWith(prefix) && !known.some((k) => f === prefix + k || f.startsWith(`${prefix + k}[`)));
  if (!rest.length) return null;
  return <ul class="field-error" role="alert">{rest.map(([f, m]) => <li key={f}>{f}: {m}</li>)}</ul>;
}

function ReportForm({ section, index, devices, onDone }) {
  const editing = index < section.list.length;
  const [draft, setDraft] = useState(editing ? { ...NEW_REPORT, ...section.list[index] } : { ...NEW_REPORT });
  const [time, setTime] = useState(hhmm(draft.send_at_minute));
  const [recipients, setRecipients] = useState((draft.recipients || []).join('\n'));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const at = `reports.list[${index}].`;
  const err = (key) => {
    const exact = errors[at + key];
    if (exact) return exact;
    const item = Object.entries(errors).find(([f]) => f.startsWith(`${at + key}[`));
    return item ? item[1] : undefined;
  };
  const submit = async (event) => {
    event.preventDefault();
    const minute = minuteOf(time);
    if (Number.isNaN(minute) || minute > 1439) { setErrors({ [`${at}send_at_minute`]: t('reportTimeFormat') }); return; }
    const report = {
      ...draft, send_at_minute: minute,
      recipients: recipients.split(/[\s,;]+/).filter(Boolean),
    };
    const list = [...section.list];
    list[index] = report;
    setBusy(true);
    try {
      const problems = await save({ ...section, list });
      if (problems) setErrors(problems);
      else onDone(t('reportSaved', { name: report.name }));
    } catch (e) {
      setErrors({ [`${at}name`]: t('serverError', { message: e.message }) });
    } finally {
      setBusy(false);
    }
  };
  const id = (key) => `report-${key}`;
  return (
    <form class="card form report-form" onSubmit={submit} noValidate aria-labelledby="report-form-title">
      <h2 id="report-form-title">{editing ? t('reportEdit', { name: section.list[index].name }) : t('reportAdd')}</h2>
      <Input id={id('name')} label={t('reportName')} help={t('reportNameHelp')} value={draft.name} error={err('name')}
             onInput={set('name')} autoComplete="off" />
      <Input id={id('enabled')} kind="checkbox" label={t('reportEnabled')} checked={draft.enabled} onChange={set('enabled')} />
      <Input id={id('period')} kind="select" label={t('reportPeriod')} value={draft.period} error={err('period')} onChange={set('period')}>
        {PERIODS.map(([v, k]) => <option key={v} value={v}>{t(k)}</option>)}
      </Input>
      <Input id={id('time')} label={t('reportTime')} type="time" value={time} error={err('send_at_minute')}
             onInput={(e) => setTime(e.currentTarget.value)} />
      <Input id={id('language')} kind="select" label={t('reportLanguage')} value={draft.language} error={err('language')} onChange={set('language')}>
        {LANGUAGES.map(([v, name]) => <option key={v} value={v}>{name}</option>)}
      </Input>
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
      <Input id={id('recipients')} kind="textarea" label={t('reportRecipients')} help={t('reportRecipientsHelp')}
             value={recipients} error={err('recipients')} onInput={(e) => setRecipients(e.currentTarget.value)} />
      <Input id={id('ftp')} kind="checkbox" label={t('reportDepositFtp')} checked={draft.deposit_ftp} onChange={set('deposit_ftp')} />
      <Input id={id('drive')} kind="checkbox" label={t('reportDepositDrive')} checked={draft.deposit_network_drive} onChange={set('deposit_network_drive')} />
      <Others errors={errors} prefix="reports." known={[`list[${index}].name`, `list[${index}].period`, `list[${index}].send_at_minute`,
        `list[${index}].language`, `list[${index}].devices`, `list[${index}].recipients`]} />
      <div class="actions">
        <button type="submit" class="button primary" disabled={busy}>{t('reportSave')}</button>
        <button type="button" class="button" onClick={() => onDone(null)}>{t('cancel')}</button>
      </div>
    </form>
  );
}

function ServersForm({ section, onDone }) {
  const [draft, setDraft] = useState(section);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
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
    <Input id={`server-${path.replace(/\./g, '-')}`} label={label} value={get(path) ?? ''} error={errors[`reports.${path}`]}
           onInput={set(path, extra.type === 'number')} autoComplete="off" {...extra} />
  );
  const tls = (path) => (
    <Input id={`server-${path.replace(/\./g, '-')}`} kind="select" label={t('reportTls')} value={get(path)}
           error={errors[`reports.${path}`]} onChange={set(path)}>
      {TLS_MODES.map(([v, k]) => <option key={v} value={v}>{t(k)}</option>)}
    </Input>
  );
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const problems = await save(draft);
      if (problems) setErrors(problems);
      else onDone(t('reportServersSaved'));
    } catch (e) {
      setErrors({ 'reports.email.smtp.host': t('serverError', { message: e.message }) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form servers-form" onSubmit={submit} noValidate aria-labelledby="servers-title">
      <h2 id="servers-title">{t('reportServers')}</h2>
      <p class="help">{t('reportServersHelp')}</p>
      <fieldset>
        <legend>{t('reportSmtp')}</legend>
        {field('email.smtp.host', t('reportHost'))}
        {field('email.smtp.port', t('reportPort'), { type: 'number', min: 1, max: 65535 })}
        {tls('email.smtp.tls_mode')}
        {field('email.smtp.username', t('reportUser'))}
        {field('email.smtp.password', t('reportPassword'), { type: 'password' })}
        {field('email.from_address', t('reportFrom'))}
      </fieldset>
      <fieldset>
        <legend>{t('reportFtp')}</legend>
        {field('ftp.host', t('reportHost'))}
        {field('ftp.port', t('reportPort'), { type: 'number', min: 1, max: 65535 })}
        {tls('ftp.tls_mode')}
        {field('ftp.username', t('reportUser'))}
        {field('ftp.password', t('reportPassword'), { type: 'password' })}
        {field('ftp.remote_directory', t('reportDirectory'))}
      </fieldset>
      <fieldset>
        <legend>{t('reportDrive')}</legend>
        {field('network_drive.url', t('reportUrl'))}
        {field('network_drive.username', t('reportUser'))}
        {field('network_drive.password', t('reportPassword'), { type: 'password' })}
        {field('network_drive.remote_directory', t('reportDirectory'))}
      </fieldset>
      <Others errors={errors} prefix="reports." known={['email.smtp.host', 'email.smtp.port', 'email.smtp.tls_mode',
        'email.smtp.username', 'email.smtp.password', 'email.from_address', 'ftp.host', 'ftp.port', 'ftp.tls_mode',
        'ftp.username', 'ftp.password', 'ftp.remote_directory', 'network_drive.url', 'network_drive.username',
        'network_drive.password', 'network_drive.remote_directory']} />
      <div class="actions">
        <button type="submit" class="button primary" disabled={busy}>{t('reportSave')}</button>
        <button type="button" class="button" onClick={() => onDone(null)}>{t('cancel')}</button>
      </div>
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

function ReportCard({ report, devices, status, onEdit, onRemove }) {
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
        <div class="confirm" role="group" aria-label={t('reportRemove')}>
          <p>{t('reportRemoveConfirm', { name: report.name })}</p>
          <div class="actions">
            <button type="button" class="button primary" onClick={onRemove}>{t('reportRemoveYes')}</button>
            <button type="button" class="button" onClick={() => setConfirm(false)}>{t('cancel')}</button>
          </div>
        </div>
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
  const remove = async (index) => {
    const list = section.list.filter((_, i) => i !== index);
    try {
      const problems = await save({ ...section, list });
      if (problems) setNotice(Object.values(problems).join('; '));
      else done(t('reportRemoved', { name: section.list[index].name }));
    } catch (e) {
      setNotice(t('serverError', { message: e.message }));
    }
  };
  return (
    <Page title={t('reportsTitle')} updatedAt={status.updatedAt}>
      {error ? <p class="error-text" role="alert">{error}</p> : null}
      {!section ? (!error ? <p>{t('loading')}</p> : null) : (
        <>
          {notice ? <p class="notice" role="status">{notice}</p> : null}
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
              <ReportCard key={r.name} report={r} devices={devices} status={status.data}
                          onEdit={() => { setNotice(null); setEditing(i); }} onRemove={() => remove(i)} />
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}
