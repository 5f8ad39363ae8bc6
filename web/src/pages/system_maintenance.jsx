// System: the version, the log (filtered by level) and a restart with a confirmation step.
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost, usePoll } from '../api.js';
import { locale, t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Confirm, Field } from '../form.jsx';
import { Loading } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];
// Log times to the second, in the browser's zone (named).
const logTime = (iso) => new Intl.DateTimeFormat(locale(), {
  month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
}).format(new Date(iso));

function Logs() {
  const [level, setLevel] = useState('INFO');
  const [state, setState] = useState({ lines: null, error: null });
  const load = async () => {
    try {
      const { lines } = await apiGet(`/api/v1/system/logs?limit=200&level=${level}`);
      setState({ lines: lines.reverse(), error: null }); // newest first
    } catch (e) {
      setState({ lines: null, error: e });
    }
  };
  useEffect(() => { load(); }, [level]);
  return (
    <section class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">{t('logsTitle')}</h2>
      <div class="log-tools">
        <Field id="log-level" label={t('logsLevel')}>
          {(a) => (
            <select {...a} value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
              {LEVELS.map((l) => <option key={l} value={l}>{t(`logs_${l}`)}</option>)}
            </select>
          )}
        </Field>
        <button type="button" class="button" onClick={load}>{t('logsRefresh')}</button>
      </div>
      {!state.lines ? <Loading error={state.error} /> : (
        <ol class="plain log" aria-label={t('logsTitle')}>
          {!state.lines.length ? <li>{t('logsNone')}</li> : null}
          {state.lines.map((l, i) => (
            <li key={i} class={`log-line log-${l.level}`} data-level={l.level}>
              <span class="facts">{logTime(l.time)} · {l.level} · {l.where}</span>
              <span>{l.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Restart() {
  const [step, setStep] = useState('idle'); // idle | confirm | busy | done
  const [error, setError] = useState(null);
  const restart = async () => {
    setStep('busy');
    try {
      await apiPost('/api/v1/system/restart', {});
      setStep('done');
    } catch (e) {
      setError(t('serverError', { message: e.message }));
      setStep('idle');
    }
  };
  return (
    <section class="card" aria-labelledby="restart-title">
      <h2 id="restart-title">{t('restartTitle')}</h2>
      <p class="help">{t('restartHelp')}</p>
      {step === 'idle' ? <button type="button" class="button" onClick={() => { setError(null); setStep('confirm'); }}>{t('restartButton')}</button> : null}
      {step === 'confirm' || step === 'busy' ? (
        <Confirm question={t('restartConfirm')} yes={t('restartYes')} danger busy={step === 'busy'}
                 onYes={restart} onNo={() => setStep('idle')} />
      ) : null}
      {step === 'done' ? <p class="ok-text" role="status">{t('restartDone')}</p> : null}
      {error ? <p class="error-text" role="alert">{error}</p> : null}
    </section>
  );
}

export function MaintenancePage() {
  const { data, error } = usePoll('/api/v1/system/version', 60000);
  return (
    <Page title={t('sysMaintTitle')}>
      <SystemNav current="maintenance" />
      <section class="card" aria-labelledby="version-title">
        <h2 id="version-title">{t('version')}</h2>
        {!data ? <Loading error={error} /> : (
          <dl class="rows">
            <div class="row"><dt>{t('version')}</dt><dd data-field="version">{data.version}</dd></div>
            <div class="row"><dt>{t('model')}</dt><dd>{t('modelValue', { size: data.model_size })}</dd></div>
            <div class="row"><dt>{t('sysApi')}</dt><dd>{data.api}</dd></div>
          </dl>
        )}
      </section>
      <Restart />
      <Logs />
    </Page>
  );
}
