// Control: the commands a device's profile declares (breaker open/close/reset, outputs, an EV
// charging station's start/stop/limits), each behind a confirmation step, with the device's answer
// or refusal in words. Shown only to the roles the server lets act (it refuses the others anyway).
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPost, apiPut, session } from './api.js';
import { Confirm, Field } from './form.jsx';
import { formatNumber, t } from './i18n.js';
import { useSignal } from './signal.js';

// Who may send device commands (control_devices) and EV charger commands (control_ev_chargers),
// as docs/security.md's matrix says.
const CONTROL_DEVICES = ['administrator', 'installer'];
const CONTROL_CHARGERS = ['administrator', 'installer', 'greenUp'];

export function useRole() {
  const current = useSignal(session);
  return current.state === 'active' ? current.role : null;
}

// One action: a button (and its argument's field), then "are you sure?", then the answer.
export function ConfirmedAction({ id, label, question, argument, run, warnings = [] }) {
  const [step, setStep] = useState('idle'); // idle | confirm | busy
  const [value, setValue] = useState(argument ? String(argument.initial ?? argument.min) : '');
  const [fieldError, setFieldError] = useState(null);
  const [answer, setAnswer] = useState(null); // {ok, text}
  // Keyboard users land on the safe choice (Cancel) when asked, and back on the action after.
  const actionRef = useRef(null);
  const asked = useRef(false);
  useEffect(() => {
    if (step === 'confirm') asked.current = true;
    if (step === 'idle' && asked.current) { asked.current = false; actionRef.current?.focus(); }
  }, [step]);
  const ask = (e) => {
    e.preventDefault();
    setAnswer(null);
    if (argument) {
      const n = Number(String(value).replace(',', '.'));
      if (value === '' || !Number.isFinite(n) || n < argument.min || n > argument.max) {
        setFieldError(t('controlRange', { min: formatNumber(argument.min), max: formatNumber(argument.max), unit: argument.unit || '' }));
        return;
      }
    }
    setFieldError(null);
    setStep('confirm');
  };
  const go = async () => {
    setStep('busy');
    const n = argument ? Number(String(value).replace(',', '.')) : undefined;
    try {
      await run(n);
      setAnswer({ ok: true, text: t('controlDone', { action: label }) });
    } catch (e) {
      setAnswer({ ok: false, text: e.status === 403 ? t('controlForbidden') : t('controlRefused', { message: e.message }) });
    }
    setStep('idle');
  };
  return (
    <li class="control" data-command={id}>
      <form class="control-form" onSubmit={ask}>
        {argument ? (
          <Field id={`arg-${id}`} label={`${label} (${argument.unit || t('controlValue')})`} error={fieldError}
                 inputMode="decimal" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        ) : null}
        {step === 'idle' ? <button type="submit" class="button" ref={actionRef}>{argument ? t('controlSet') : label}</button> : null}
      </form>
      {step !== 'idle' ? (
        <Confirm title={label} question={question(argument ? `${value} ${argument.unit || ''}`.trim() : '')} yes={t('controlYes')}
                 busy={step === 'busy'} focusCancel onYes={go} onNo={() => setStep('idle')}>
          {warnings.map((w) => <p key={w} class="note">{w}</p>)}
        </Confirm>
      ) : null}
      {answer ? <p class={answer.ok ? 'notice control-answer' : 'error-text control-answer'} role="status">{answer.text}</p> : null}
    </li>
  );
}

// A Modbus device's commands (GET /api/v1/devices lists them) through
// POST /api/v1/devices/{id}/commands/{command}.
export function DeviceControls({ device }) {
  const role = useRole();
  if (!CONTROL_DEVICES.includes(role) || !device.commands?.length) return null;
  const base = `/api/v1/devices/${encodeURIComponent(device.id)}/commands/`;
  return (
    <section class="card controls" aria-labelledby="controls-title">
      <h2 id="controls-title">{t('controlTitle')}</h2>
      <p class="note">{t('controlNote')}</p>
      <ul class="plain control-list">
        {device.commands.map((c) => (
          <ConfirmedAction key={c.id} id={c.id} label={c.name}
            argument={c.argument}
            warnings={[c.requires ? t('controlRequires', { what: c.requires === 'motor_operator' ? t('motorOperator') : c.requires }) : '',
              c.unconfirmed ? t('controlUnconfirmed') : ''].filter(Boolean)}
            question={(arg) => t(arg ? 'controlAskArg' : 'controlAsk', { action: c.name, device: device.name, value: arg })}
            run={(n) => apiPost(`${base}${encodeURIComponent(c.id)}`, n === undefined ? {} : { argument: n })} />
        ))}
      </ul>
    </section>
  );
}

// An EV charging station's start, stop and current limit through the EV routes (greenUp too).
export function ChargerControls({ charger }) {
  const role = useRole();
  if (!CONTROL_CHARGERS.includes(role)) return null;
  const base = `/api/v1/ev/chargers/${encodeURIComponent(charger.id)}`;
  const has = (c) => charger.commands?.includes(c);
  const limit = charger.command_arguments?.set_current_limit;
  const current = charger.values.find((v) => v.quantity === 'current_limit')?.value;
  const ask = (key) => (arg) => t(key, { device: charger.name, value: arg });
  return (
    <div class="controls" aria-label={t('controlTitle')} role="group">
      <ul class="plain control-list">
        {has('start') ? <ConfirmedAction id="start" label={t('evStart')} question={ask('evStartAsk')} run={() => apiPost(`${base}/start`)} /> : null}
        {has('stop') ? <ConfirmedAction id="stop" label={t('evStop')} question={ask('evStopAsk')} run={() => apiPost(`${base}/stop`)} /> : null}
        {has('set_current_limit') && limit ? (
          <ConfirmedAction id={`limit-${charger.id}`} label={t('evLimit')} question={ask('evLimitAsk')}
            argument={{ ...limit, initial: current ?? limit.max }}
            run={(amps) => apiPut(`${base}/current-limit`, { amps })} />
        ) : null}
      </ul>
    </div>
  );
}
