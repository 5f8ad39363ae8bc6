// Login (user type + PIN), unblocking with the PUK, and the change of codes that a session with
// factory or administrator-set codes must make first (docs/api.md, "Session and users").
import { useState } from 'preact/hooks';
import { apiPost, refreshSession, session, ApiError } from '../api.js';
import { Field } from '../form.jsx';
import { useSignal } from '../signal.js';
import { t } from '../i18n.js';
import { Page } from './devices.jsx';

export const ROLES = [
  ['administrator', 'roleAdministrator'],
  ['installer', 'roleInstaller'],
  ['greenUp', 'roleGreenUp'],
  ['user', 'roleUser'],
];
const FACTORY_PINS = ['99999', '88888', '55555', '11111'];
const FACTORY_PUKS = ['00000999900000', '00000888800000', '00000555500000', '00000111100000'];

const digits = (text) => text.replace(/\s+/g, '');
const pinOk = (pin) => /^\d{5}$/.test(pin);
const pukOk = (puk) => /^\d{14}$/.test(digits(puk));
const formatPuk = (puk) => { const d = digits(puk); return `${d.slice(0, 5)} ${d.slice(5, 9)} ${d.slice(9)}`; };

export function randomPuk() {
  const bytes = new Uint32Array(14);
  crypto.getRandomValues(bytes);
  return formatPuk(Array.from(bytes, (b) => String(b % 10)).join(''));
}

function RolePicker({ value, onChange }) {
  return (
    <fieldset class="roles">
      <legend>{t('userType')}</legend>
      {ROLES.map(([role, key]) => (
        <label key={role} class="choice">
          <input type="radio" name="role" value={role} checked={value === role}
                 onChange={() => onChange(role)} />
          <span>{t(key)}</span>
        </label>
      ))}
    </fieldset>
  );
}

function errorMessage(e, wrongKey) {
  if (!(e instanceof ApiError)) return String(e);
  if (e.status === 401) return t(wrongKey);
  if (e.status === 409) return wrongKey === 'wrongPuk' ? t('pukBlocked') : t('blocked');
  if (e.status === 429) return t('tooMany');
  if (e.status === 0) return t('connectionLost');
  return t('serverError', { message: e.message });
}

function Unavailable() {
  return (
    <div class="notice" role="status">
      <p>{t('loginUnavailable')}</p>
      <p><a class="button" href="#/devices">{t('openPages')}</a></p>
    </div>
  );
}

export function LoginPage() {
  const current = useSignal(session);
  const [role, setRole] = useState('installer');
  const [pin, setPin] = useState('');
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    if (!pinOk(pin)) { setErrors({ pin: t('pinFormat') }); return; }
    setBusy(true);
    setErrors({});
    try {
      const answer = await apiPost('/api/v1/session/login', { role, pin });
      session.set({ state: 'active', ...answer.session, must_change_puk: answer.must_change_puk });
      location.hash = answer.session.must_change_codes ? '#/change-codes' : '#/';
    } catch (e) {
      if (e.status === 404) session.set({ state: 'unavailable' });
      else setErrors({ pin: errorMessage(e, 'wrongPin'), blocked: e.status === 409 });
    } finally {
      setBusy(false);
      setPin('');
    }
  };
  return (
    <Page title={t('loginTitle')}>
      {current.state === 'unavailable' ? <Unavailable /> : null}
      <form class="card form" onSubmit={submit} noValidate>
        <RolePicker value={role} onChange={setRole} />
        <Field id="pin" label={t('pin')} type="password" inputMode="numeric" autoComplete="off"
               maxLength={5} value={pin} error={errors.pin} onInput={(e) => setPin(e.currentTarget.value)} />
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? t('loggingIn') : t('login')}
        </button>
      </form>
      <p><a href="#/unblock">{t('forgotPin')}</a></p>
    </Page>
  );
}

export function UnblockPage() {
  const current = useSignal(session);
  const [role, setRole] = useState('installer');
  const [puk, setPuk] = useState('');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState({});
  const [done, setDone] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const found = {};
    if (!pukOk(puk)) found.puk = t('pukFormat');
    if (!pinOk(pin)) found.pin = t('pinFormat');
    else if (FACTORY_PINS.includes(pin)) found.pin = t('factoryCode');
    if (pin !== again) found.again = t('pinsDiffer');
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      await apiPost('/api/v1/session/unblock', { role, puk: formatPuk(puk), new_pin: pin });
      setDone(true);
    } catch (e) {
      if (e.status === 404) session.set({ state: 'unavailable' });
      else setErrors({ puk: errorMessage(e, 'wrongPuk') });
    }
  };
  return (
    <Page title={t('unblockTitle')}>
      {current.state === 'unavailable' ? <Unavailable /> : null}
      {done ? (
        <div class="notice" role="status"><p>{t('unblocked')}</p><p><a class="button" href="#/login">{t('backToLogin')}</a></p></div>
      ) : (
        <form class="card form" onSubmit={submit} noValidate>
          <RolePicker value={role} onChange={setRole} />
          <Field id="puk" label={t('puk')} inputMode="numeric" autoComplete="off" maxLength={16}
                 value={puk} error={errors.puk} onInput={(e) => setPuk(e.currentTarget.value)} />
          <Field id="new-pin" label={t('newPin')} type="password" inputMode="numeric" autoComplete="off"
                 maxLength={5} value={pin} error={errors.pin} onInput={(e) => setPin(e.currentTarget.value)} />
          <Field id="new-pin-again" label={t('newPinAgain')} type="password" inputMode="numeric"
                 autoComplete="off" maxLength={5} value={again} error={errors.again}
                 onInput={(e) => setAgain(e.currentTarget.value)} />
          <button type="submit" class="button primary">{t('unblock')}</button>
        </form>
      )}
      <p><a href="#/login">{t('backToLogin')}</a></p>
    </Page>
  );
}

export function ChangeCodesPage() {
  const current = useSignal(session);
  const forced = current.state === 'active' && current.must_change_codes;
  const [currentPin, setCurrentPin] = useState('');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [puk, setPuk] = useState(() => (forced ? randomPuk() : ''));
  const [errors, setErrors] = useState({});
  const [savedPuk, setSavedPuk] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    const found = {};
    if (!pinOk(currentPin)) found.current = t('pinFormat');
    if (!pinOk(pin)) found.pin = t('pinFormat');
    else if (FACTORY_PINS.includes(pin)) found.pin = t('factoryCode');
    else if (pin === currentPin) found.pin = t('samePin');
    if (pin !== again) found.again = t('pinsDiffer');
    if ((forced || puk) && !pukOk(puk)) found.puk = t('pukFormat');
    else if (puk && FACTORY_PUKS.includes(digits(puk))) found.puk = t('factoryCode');
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      const body = { current_pin: currentPin, new_pin: pin };
      if (puk) body.new_puk = formatPuk(puk);
      await apiPost('/api/v1/session/codes', body);
      setSavedPuk(puk ? formatPuk(puk) : '');
    } catch (e) {
      setErrors({ current: errorMessage(e, 'wrongPin') });
    } finally {
      setCurrentPin('');
    }
  };
  if (savedPuk !== null) {
    return (
      <Page title={t('changeTitle')}>
        <div class="notice" role="status">
          <p>{t('changed')}</p>
          {savedPuk ? <><p>{t('keepPuk')}</p><p class="puk number">{savedPuk}</p></> : null}
          <p class="actions">
            {savedPuk ? <button type="button" class="button" onClick={() => window.print()}>{t('print')}</button> : null}
            <button type="button" class="button primary"
                    onClick={async () => { await refreshSession(); location.hash = '#/'; }}>{t('continue')}</button>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title={t('changeTitle')}>
      {forced ? <p class="notice">{t('changeForced')}</p> : null}
      <form class="card form" onSubmit={submit} noValidate>
        <Field id="current-pin" label={t('currentPin')} type="password" inputMode="numeric"
               autoComplete="off" maxLength={5} value={currentPin} error={errors.current}
               onInput={(e) => setCurrentPin(e.currentTarget.value)} />
        <Field id="new-pin" label={t('newPin')} type="password" inputMode="numeric" autoComplete="off"
               maxLength={5} value={pin} error={errors.pin} onInput={(e) => setPin(e.currentTarget.value)} />
        <Field id="new-pin-again" label={t('newPinAgain')} type="password" inputMode="numeric"
               autoComplete="off" maxLength={5} value={again} error={errors.again}
               onInput={(e) => setAgain(e.currentTarget.value)} />
        <Field id="new-puk" label={t('newPuk')} inputMode="numeric" autoComplete="off" maxLength={16}
               value={puk} error={errors.puk} help={forced ? t('newPukHelp') : undefined}
               onInput={(e) => setPuk(e.currentTarget.value)} />
        <button type="submit" class="button primary">{t('change')}</button>
      </form>
    </Page>
  );
}
