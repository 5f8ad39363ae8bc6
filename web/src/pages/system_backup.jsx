// Backup and restore of the configuration as a file. A restore replaces the whole configuration, so
// it asks first; a file the device refuses changes nothing and its reason is shown.
import { useState } from 'preact/hooks';
import { apiPostText, apiText, saveFile } from '../api.js';
import { t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Confirm, Field } from '../form.jsx';
import { SaveResult, appliedNote } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

function Backup() {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    setResult(null);
    try {
      const { text, name } = await apiText('/api/v1/config/backup');
      saveFile(text, name || 'ews-config.textproto', 'text/plain;charset=utf-8');
      setResult({ ok: true, text: t('backupDone', { name: name || 'ews-config.textproto' }) });
    } catch (e) {
      setResult({ ok: false, text: t('serverError', { message: e.message }) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="backup-title">
      <h2 id="backup-title">{t('backupTitle')}</h2>
      <p>{t('backupHelp')}</p>
      <div class="actions"><button type="button" class="button primary" disabled={busy} onClick={download}>{t('backupDownload')}</button></div>
      <SaveResult id="backup-result" result={result} />
    </section>
  );
}

function Restore() {
  const [file, setFile] = useState(null);
  const [error, setError] = useState(null);
  const [step, setStep] = useState('idle'); // idle | confirm | busy
  const [result, setResult] = useState(null);
  const ask = (e) => {
    e.preventDefault();
    setResult(null);
    setError(file ? null : t('restorePick'));
    if (file) setStep('confirm');
  };
  const restore = async () => {
    setStep('busy');
    try {
      const answer = await apiPostText('/api/v1/config/restore', await file.text());
      const sections = (answer.changed_sections || []).join(', ');
      setResult({ ok: true, restart: answer.restart_required,
        text: [sections ? t('restoreDone', { sections }) : '', appliedNote(answer)].filter(Boolean).join(' ') });
    } catch (e) {
      setResult({ ok: false, text: t('restoreRefused', { message: e.message }) });
    } finally {
      setStep('idle');
    }
  };
  return (
    <form class="form card" onSubmit={ask} noValidate aria-labelledby="restore-title">
      <h2 id="restore-title">{t('restoreTitle')}</h2>
      <p class="help">{t('restoreHelp')}</p>
      <Field id="restore-file" label={t('restoreFile')} error={error}>
        {(a) => <input {...a} type="file" accept=".textproto,.txt,.json,text/plain"
                       onChange={(e) => { setFile(e.currentTarget.files[0] || null); setStep('idle'); }} />}
      </Field>
      {step === 'idle' ? <div class="actions"><button type="submit" class="button primary">{t('restoreButton')}</button></div> : (
        <Confirm question={t('restoreConfirm', { name: file?.name || '' })} yes={t('restoreYes')} danger
                 busy={step === 'busy'} onYes={restore} onNo={() => setStep('idle')} />
      )}
      <SaveResult id="restore-result" result={result} restartLink />
    </form>
  );
}

export function BackupPage() {
  return (
    <Page title={t('sysBackupTitle')}>
      <SystemNav current="backup" />
      <Backup />
      <Restore />
    </Page>
  );
}
