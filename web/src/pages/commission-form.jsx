// The commissioning pages' form kit: labelled inputs whose error (from the server's validate route,
// by field path such as "rs485.baud_rate" or "modbus_devices[3].address") shows beside them, and the
// check → confirm → apply flow every change goes through, with the device's answer in words.
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost, apiPut } from '../api.js';
import { t } from '../i18n.js';

export const fieldId = (path) => `f-${path.replace(/[^A-Za-z0-9_]+/g, '-')}`;

// The message for `path` among the server's errors ({field, message}), if any.
export const errorAt = (errors, path) => (errors || []).find((e) => e.field === path)?.message;

function Described({ path, label, error, help, children }) {
  const id = fieldId(path);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {help ? <p class="help" id={`${id}-help`}>{help}</p> : null}
      {children(id, [error ? `${id}-error` : '', help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined)}
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

// A text or number input. `value` is a string; `onValue` receives the new string.
export function Input({ path, label, value, onValue, errors, help, type = 'text', ...rest }) {
  const error = errorAt(errors, path);
  return (
    <Described path={path} label={label} error={error} help={help}>
      {(id, describedBy) => (
        <input id={id} name={path} type={type} value={value ?? ''} aria-invalid={error ? 'true' : undefined}
               aria-describedby={describedBy} onInput={(e) => onValue(e.currentTarget.value)} {...rest} />
      )}
    </Described>
  );
}

// A select over `options` ([value, text] pairs).
export function Select({ path, label, value, onValue, errors, help, options }) {
  const error = errorAt(errors, path);
  return (
    <Described path={path} label={label} error={error} help={help}>
      {(id, describedBy) => (
        <select id={id} name={path} value={value} aria-invalid={error ? 'true' : undefined}
                aria-describedby={describedBy} onChange={(e) => onValue(e.currentTarget.value)}>
          {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
        </select>
      )}
    </Described>
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

// A configuration section from GET /api/v1/config/{name}: its body key's value, reloadable.
export function useSection(name, key) {
  const [state, setState] = useState({ value: undefined, error: null });
  const load = async () => {
    try {
      const data = await apiGet(`/api/v1/config/${name}`);
      setState({ value: data[key], error: null });
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };
  useEffect(() => { load(); }, [name]);
  return { ...state, reload: load };
}

export function useGet(path) {
  const [state, setState] = useState({ data: null, error: null });
  const load = async () => {
    try { setState({ data: await apiGet(path), error: null }); } catch (error) { setState((s) => ({ ...s, error })); }
  };
  useEffect(() => { load(); }, [path]);
  return { ...state, reload: load };
}

// What the server said about an applied change, in words.
function outcome(result) {
  if (!result.changed_sections?.length) return t('cmNothingChanged');
  const live = result.applied_live?.length ? t('cmAppliedLive') : '';
  const restart = result.restart_required ? t('cmRestartRequired') : '';
  return [t('cmSaved', { n: result.changes?.length ?? 0 }), live, restart].filter(Boolean).join(' ');
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

// The check → confirm → apply flow. `validate(body)` answers {valid, errors, changes} (the section's
// validate route); `apply(body)` applies it and answers the server's change report.
// Returns the errors to show beside the fields, a `submit(body)` and the panel to render.
export function useChange({ validate, apply, onApplied }) {
  const [state, setState] = useState({ step: 'idle', errors: [] });
  useEffect(() => {
    if (state.step === 'idle' && state.errors.length) document.querySelector('[aria-invalid="true"]')?.focus();
    if (state.step === 'confirm') document.getElementById('cm-confirm')?.focus();
  }, [state]);
  const submit = async (body) => {
    setState({ step: 'checking', errors: [] });
    try {
      const answer = await validate(body);
      if (!answer.valid) {
        setState({ step: 'idle', errors: answer.errors, problem: t('cmInvalid', { n: answer.errors.length }) });
      } else if (!answer.changes?.length) {
        setState({ step: 'done', errors: [], message: t('cmNothingChanged') });
      } else {
        setState({ step: 'confirm', errors: [], body, changes: answer.changes });
      }
    } catch (e) {
      setState({ step: 'idle', errors: [], problem: t('serverError', { message: e.message }) });
    }
  };
  const confirm = async () => {
    setState((s) => ({ ...s, step: 'applying' }));
    try {
      const result = await apply(state.body);
      setState({ step: 'done', errors: [], message: outcome(result) });
      onApplied?.(result);
    } catch (e) {
      setState({ step: 'idle', errors: [], problem: t('serverError', { message: e.message }) });
    }
  };
  const cancel = () => setState({ step: 'idle', errors: [], message: t('cmCancelled') });
  const unknown = (paths) => state.errors.filter((e) => !paths.some((p) => e.field === p));
  const panel = (fieldPaths = []) => (
    <>
      {state.problem || unknown(fieldPaths).length ? (
        <div class="error-text" role="alert">
          {state.problem ? <p>{state.problem}</p> : null}
          {unknown(fieldPaths).map((e) => <p key={e.field}><code>{e.field}</code>: {e.message}</p>)}
        </div>
      ) : null}
      {state.step === 'confirm' || state.step === 'applying' ? (
        <div class="confirm" id="cm-confirm" tabIndex={-1} role="group" aria-label={t('cmConfirmTitle')}>
          <p><strong>{t('cmConfirmTitle')}</strong></p>
          <ChangeList changes={state.changes} />
          <div class="actions">
            <button type="button" class="button primary" disabled={state.step === 'applying'} onClick={confirm}>{t('cmApply')}</button>
            <button type="button" class="button" onClick={cancel}>{t('cancel')}</button>
          </div>
        </div>
      ) : null}
      {state.message ? <p class="notice" role="status">{state.message}</p> : null}
    </>
  );
  return { errors: state.errors, busy: state.step === 'checking' || state.step === 'applying', submit, panel, reset: () => setState({ step: 'idle', errors: [] }) };
}

// The flow for one configuration section ({name} in docs/api.md).
export function useSectionChange(name, onApplied) {
  return useChange({
    validate: (body) => apiPost(`/api/v1/config/${name}/validate`, body),
    apply: (body) => apiPut(`/api/v1/config/${name}`, body),
    onApplied,
  });
}

// Splits "a, b\nc" into ["a", "b", "c"].
export const listOf = (text) => String(text || '').split(/[\s,;]+/).filter(Boolean);
export const num = (text) => (text === '' || text === undefined ? 0 : Number(text));

export function Loading({ error }) {
  return (
    <p class={error ? 'error-text' : ''} role={error ? 'alert' : undefined}>
      {error ? t('serverError', { message: error.message }) : t('loading')}
    </p>
  );
}
