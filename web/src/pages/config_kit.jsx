// The configuration kit of the pages that change the installation (commissioning, the
// administrator's pages, the reports): a section loaded from GET /api/v1/config/{section}, and one
// check → (confirm →) apply flow for every change. The server's validate route answers the errors
// by field path ("rs485.baud_rate", "network.ntp_servers[1]", "reports.list[0].recipients"): each
// shows beside its field, the others in a list; the applied change's answer (in force now, or at
// the next start) and any error in words.
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost, apiPut } from '../api.js';
import { Confirm, Field } from '../form.jsx';
import { t } from '../i18n.js';

// The id of the input for a field path: "f-modbus_devices-3-.address" style, safe in a selector.
export const fieldId = (path) => `f-${path.replace(/[^A-Za-z0-9_]+/g, '-')}`;

// Splits "a, b\nc" into ["a", "b", "c"].
export const listOf = (text) => String(text || '').split(/[\s,;]+/).filter(Boolean);
export const num = (text) => (text === '' || text === undefined ? 0 : Number(text));

// The server's errors ([{field, message}]) as one message per field path.
const byField = (errors) => Object.fromEntries((errors || []).map((e) => [e.field, e.message]));

// GET `path`, reloadable: {data, error, reload}.
export function useGet(path) {
  const [state, setState] = useState({ data: null, error: null });
  const load = async () => {
    try { setState({ data: await apiGet(path), error: null }); } catch (error) { setState((s) => ({ ...s, error })); }
  };
  useEffect(() => { load(); }, [path]);
  return { ...state, reload: load };
}

// A configuration section: its body, or the value of its body's `key` when given; undefined until
// loaded. `setValue` edits it in place (a page that drafts in the section itself).
export function useSection(section, key) {
  const { data, error, reload } = useGet(`/api/v1/config/${section}`);
  const [edited, setValue] = useState(null);
  useEffect(() => { setValue(null); }, [data]);
  const body = edited ?? data;
  return { value: body ? (key ? body[key] : body) : undefined, setValue, error, reload };
}

// What the device does with an applied change, in words: in force now, at the next start.
export function appliedNote(answer) {
  if (!answer?.changed_sections?.length) return t('cfgUnchanged');
  return [answer.applied_live?.length ? t('cfgAppliedLive') : '',
    answer.restart_required ? t('cfgRestartRequired', { sections: (answer.needs_restart || answer.changed_sections).join(', ') }) : '',
  ].filter(Boolean).join(' ');
}

// The whole answer to an applied change: how many changes, and when they take effect.
function outcome(answer) {
  if (!answer?.changed_sections?.length) return t('cfgUnchanged');
  return [t('cfgSaved', { n: answer.changes?.length ?? answer.changed_sections.length }), appliedNote(answer)]
    .filter(Boolean).join(' ');
}

export function ChangeList({ changes }) {
  return (
    <ul class="plain changes">
      {changes.map((c) => (
        <li key={c.field}><code>{c.field}</code>: {c.from === '' ? '—' : c.from} → {c.to === '' ? '—' : c.to}</li>
      ))}
    </ul>
  );
}

// The outcome of a save or a restore, announced; a restart link (the administrator's) when the
// change waits for one.
export function SaveResult({ result, id, restartLink }) {
  if (!result) return null;
  return (
    <p id={id} class={result.ok ? 'notice' : 'error-text'} role={result.ok ? 'status' : 'alert'}>
      {result.text}
      {result.ok && result.restart && restartLink ? <> <a href="#/system/maintenance">{t('sysRestartLink')}</a></> : null}
    </p>
  );
}

// The errors of `errors` that no field shows: `shown` is the list (or Set) of paths with a field.
export function OtherErrors({ errors, shown }) {
  const has = (f) => (shown instanceof Set ? shown.has(f) : shown.includes(f));
  const rest = Object.entries(errors).filter(([f]) => !has(f));
  if (!rest.length) return null;
  return <ul class="error-text plain" role="alert">{rest.map(([f, m]) => <li key={f}><code>{f}</code>: {m}</li>)}</ul>;
}

// The check → (confirm →) apply flow of one section. `submit(body)` validates it with
// POST /api/v1/config/{section}/validate; a refused body gets its errors by field path
// (`errors`, and the focus on the first wrong field); an accepted one is applied at once, or with
// `confirm` after the listed changes are confirmed (none listed: nothing to do). `apply(body)`
// replaces the default PUT /api/v1/config/{section}; `onApplied(answer, body)` follows a success
// (the words it returns, if any, replace the default outcome).
// `fail(errors)` refuses with errors found in the browser. `panel(shown, {id, restartLink})` draws
// the errors no field shows, the confirmation and the outcome.
export function useConfigChange(section, { confirm = false, apply, onApplied } = {}) {
  const [state, setState] = useState({ step: 'idle', errors: {} });
  useEffect(() => {
    if (state.step === 'idle' && Object.keys(state.errors).length) document.querySelector('[aria-invalid="true"]')?.focus();
  }, [state]);
  const failed = (e) => setState({ step: 'idle', errors: {}, result: { ok: false, text: t('serverError', { message: e.message }) } });
  const fail = (errors) => setState({
    step: 'idle', errors, result: { ok: false, text: t('cfgInvalid', { n: Object.keys(errors).length }) },
  });
  const run = async (body) => {
    setState((s) => ({ ...s, step: 'applying' }));
    try {
      const answer = await (apply ? apply(body) : apiPut(`/api/v1/config/${section}`, body));
      const words = onApplied?.(answer, body);
      setState({ step: 'done', errors: {}, result: {
        ok: true, restart: answer?.restart_required, text: typeof words === 'string' ? words : outcome(answer) } });
    } catch (e) {
      failed(e);
    }
  };
  const submit = async (body) => {
    setState({ step: 'checking', errors: {} });
    try {
      const check = await apiPost(`/api/v1/config/${section}/validate`, body);
      if (!check.valid) fail(byField(check.errors));
      else if (!confirm) await run(body);
      else if (!check.changes?.length) setState({ step: 'done', errors: {}, result: { ok: true, text: t('cfgUnchanged') } });
      else setState({ step: 'confirm', errors: {}, body, changes: check.changes });
    } catch (e) {
      failed(e);
    }
  };
  const cancel = () => setState({ step: 'idle', errors: {}, result: { ok: true, text: t('cfgCancelled') } });
  const panel = (shown, { id, restartLink } = {}) => (
    <>
      {shown ? <OtherErrors errors={state.errors} shown={shown} /> : null}
      {state.step === 'confirm' || (state.step === 'applying' && state.changes) ? (
        <Confirm question={t('cfgConfirmTitle')} yes={t('cfgApply')} busy={state.step === 'applying'}
                 onYes={() => run(state.body)} onNo={cancel}>
          <ChangeList changes={state.changes} />
        </Confirm>
      ) : null}
      <SaveResult id={id} result={state.result} restartLink={restartLink} />
    </>
  );
  return {
    errors: state.errors, busy: state.step === 'checking' || state.step === 'applying', submit, fail, panel,
  };
}

// A text or number input for a field path: `value` is a string, `onValue` receives the new one;
// the error at `path` among `errors` shows beside it.
export function Input({ path, label, value, onValue, errors, help, type = 'text', ...rest }) {
  return (
    <Field id={fieldId(path)} label={label} help={help} error={errors?.[path]} name={path} type={type}
           value={value ?? ''} onInput={(e) => onValue(e.currentTarget.value)} {...rest} />
  );
}

// A select over `options` ([value, text] pairs).
export function Select({ path, label, value, onValue, errors, help, options }) {
  return (
    <Field id={fieldId(path)} label={label} help={help} error={errors?.[path]}>
      {(a) => (
        <select {...a} name={path} value={value} onChange={(e) => onValue(e.currentTarget.value)}>
          {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
        </select>
      )}
    </Field>
  );
}

export function Check({ path, label, checked, onValue }) {
  return (
    <label class="choice" for={fieldId(path)}>
      <input type="checkbox" id={fieldId(path)} name={path} checked={checked}
             onChange={(e) => onValue(e.currentTarget.checked)} />
      <span>{label}</span>
    </label>
  );
}

export function Loading({ error }) {
  return (
    <p class={error ? 'error-text' : ''} role={error ? 'alert' : undefined}>
      {error ? t('serverError', { message: error.message }) : t('loading')}
    </p>
  );
}
