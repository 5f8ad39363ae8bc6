// Parts shared by the administrator's pages: their sub-navigation, a labelled field with its error
// beside it, a configuration section edited through the server's validate route, a confirmation
// step.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet, apiPost, apiPut } from '../api.js';
import { t } from '../i18n.js';

// The administrator's pages: #/system is the home, #/system/<sub> the others.
export const SYSTEM_PAGES = [
  ['time', 'sysTimeTitle'],
  ['certificate', 'sysCertTitle'],
  ['backup', 'sysBackupTitle'],
  ['storage', 'sysStorageTitle'],
  ['site', 'sysSiteTitle'],
  ['maintenance', 'sysMaintTitle'],
];

export function SystemNav({ current }) {
  return (
    <nav class="sys-nav" aria-label={t('sysNav')}>
      <ul>
        <li><a href="#/system" aria-current={!current ? 'page' : undefined}>{t('sysHomeShort')}</a></li>
        {SYSTEM_PAGES.map(([sub, key]) => (
          <li key={sub}>
            <a href={`#/system/${sub}`} aria-current={current === sub ? 'page' : undefined}>{t(key)}</a>
          </li>
        ))}
        <li><a href="#/admin">{t('navAdmin')}</a></li>
      </ul>
    </nav>
  );
}

// A labelled control with its help and its error next to it (aria-describedby ties them).
export function Field({ id, label, help, error, children }) {
  const described = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {help ? <p class="help" id={`${id}-help`}>{help}</p> : null}
      {children({ id, 'aria-describedby': described || undefined, 'aria-invalid': error ? 'true' : undefined })}
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

// One configuration section (docs/api.md, /api/v1/config/{section}): loads it, and saves a new
// value after the server's validate route, whose errors come back per field path
// ("storage.minute_tier_days", "network.ntp_servers[1]").
export function useSection(section) {
  const [value, setValue] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [errors, setErrors] = useState({});
  const [result, setResult] = useState(null); // { ok, text }
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      setValue(await apiGet(`/api/v1/config/${section}`));
    } catch (e) {
      setLoadError(e);
    }
  };
  useEffect(() => { load(); }, [section]);

  const save = async (body) => {
    setBusy(true);
    setResult(null);
    try {
      const check = await apiPost(`/api/v1/config/${section}/validate`, body);
      const byField = {};
      for (const { field, message } of check.errors || []) byField[field] = message;
      setErrors(byField);
      if (!check.valid) {
        setResult({ ok: false, text: t('sysInvalid') });
        return false;
      }
      const answer = await apiPut(`/api/v1/config/${section}`, body);
      setValue(body);
      setResult({
        ok: true,
        restart: answer.restart_required,
        text: !answer.changed_sections?.length ? t('sysUnchanged')
          : answer.restart_required ? t('sysSavedRestart') : t('sysSavedLive'),
      });
      return true;
    } catch (e) {
      setResult({ ok: false, text: t('serverError', { message: e.message }) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { value, setValue, loadError, errors, result, busy, save };
}

// The outcome of a save, announced; a restart link when the change waits for one.
export function SaveResult({ result, id }) {
  if (!result) return null;
  return (
    <p id={id} class={result.ok ? 'ok-text' : 'error-text'} role={result.ok ? 'status' : 'alert'}>
      {result.text}
      {result.ok && result.restart ? <> <a href="#/system/maintenance">{t('sysRestartLink')}</a></> : null}
    </p>
  );
}

// "Are you sure?" before an action that changes the installation. The question takes the focus
// (the button that opened it is gone): a screen reader reads it, Tab goes on to the answers.
export function Confirm({ question, yes, busy, onYes, onNo }) {
  const ref = useRef(null);
  useEffect(() => { ref.current?.focus(); }, []);
  return (
    <div class="confirm" role="group" aria-label={question}>
      <p ref={ref} tabIndex={-1}>{question}</p>
      <div class="actions">
        <button type="button" class="button primary" disabled={busy} onClick={onYes}>{yes}</button>
        <button type="button" class="button" onClick={onNo}>{t('cancel')}</button>
      </div>
    </div>
  );
}

export function Loading({ error }) {
  return <p class={error ? 'error-text' : ''} role={error ? 'alert' : undefined}>{error ? t('serverError', { message: error.message }) : t('loading')}</p>;
}
