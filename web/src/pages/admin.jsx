// Administrator: the four users (state, blocks, reset of their codes with a confirmation step) and
// the audit log, newest first, paged back. From /api/v1/users, /users/{role}/reset, /api/v1/audit.
import { useState } from 'preact/hooks';
import { apiGet, apiPost, usePoll } from '../api.js';
import { Confirm } from '../form.jsx';
import { formatDateTime, t } from '../i18n.js';
import { Page } from './devices.jsx';
import { ROLES, randomPuk } from './login.jsx';

const randomPin = () => {
  const bytes = new Uint32Array(5);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => String(b % 10)).join('');
};
const roleName = (role) => t(ROLES.find(([r]) => r === role)?.[1] || role);

function UserCard({ user }) {
  const [step, setStep] = useState('idle'); // idle | confirm | busy | done
  const [codes, setCodes] = useState(null);
  const [error, setError] = useState(null);
  const reset = async () => {
    const next = { new_pin: randomPin(), new_puk: randomPuk() };
    setStep('busy');
    try {
      await apiPost(`/api/v1/users/${encodeURIComponent(user.role)}/reset`, next);
      setCodes(next);
      setStep('done');
    } catch (e) {
      setError(t('serverError', { message: e.message }));
      setStep('idle');
    }
  };
  const state = user.puk_blocked ? t('userPukBlocked') : user.blocked ? t('userBlocked')
    : user.must_change_codes ? t('userMustChange') : t('userOk');
  return (
    <li class="card user" data-role={user.role}>
      <h2>{roleName(user.role)}</h2>
      <p class={user.blocked || user.puk_blocked ? 'error-text' : 'facts'}>{state}
        {user.pin_failures ? ` · ${t('pinFailures', { n: user.pin_failures })}` : ''}</p>
      {step === 'idle' ? <button type="button" class="button" onClick={() => { setError(null); setStep('confirm'); }}>{t('resetCodes')}</button> : null}
      {step === 'confirm' || step === 'busy' ? (
        <Confirm title={t('resetCodes')} question={t('resetConfirm', { role: roleName(user.role) })} yes={t('resetYes')}
                 danger busy={step === 'busy'} onYes={reset} onNo={() => setStep('idle')} />
      ) : null}
      {step === 'done' && codes ? (
        <div class="notice" role="status">
          <p>{t('resetDone', { role: roleName(user.role) })}</p>
          <p>{t('pinLabel')}: <strong class="puk">{codes.new_pin}</strong></p>
          <p>{t('pukLabel')}: <strong class="puk">{codes.new_puk}</strong></p>
          <button type="button" class="button" onClick={() => { setCodes(null); setStep('idle'); }}>{t('continue')}</button>
        </div>
      ) : null}
      {error ? <p class="error-text" role="alert">{error}</p> : null}
    </li>
  );
}

function Audit() {
  const first = usePoll('/api/v1/audit?limit=50', 10000);
  const [older, setOlder] = useState([]);
  const entries = [...(first.data?.entries || []), ...older];
  const more = async () => {
    const last = entries[entries.length - 1];
    const { entries: next } = await apiGet(`/api/v1/audit?limit=50&before=${last.sequence}`);
    setOlder((o) => [...o, ...next]);
  };
  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('auditTitle')}</h2>
      {!first.data ? <p class={first.error ? 'error-text' : ''}>{first.error ? first.error.message : t('loading')}</p> : null}
      <ol class="audit plain">
        {entries.map((e) => (
          <li key={e.sequence} class={e.outcome === 'ok' ? 'audit-entry' : 'audit-entry bad'} data-action={e.action}>
            <span class="facts">{formatDateTime(e.time)} · {e.actor || '—'} · {e.address}</span>
            <span><strong>{e.action}</strong> {e.outcome}{e.detail ? ` — ${e.detail}` : ''}</span>
          </li>
        ))}
      </ol>
      {entries.length && entries.length % 50 === 0 ? <button type="button" class="button" onClick={more}>{t('auditMore')}</button> : null}
    </section>
  );
}

export function AdminPage() {
  const { data, error } = usePoll('/api/v1/users', 10000);
  return (
    <Page title={t('adminTitle')}>
      <h2>{t('usersTitle')}</h2>
      {!data ? <p class={error ? 'error-text' : ''}>{error ? error.message : t('loading')}</p> : (
        <ul class="cards">{data.users.map((u) => <UserCard key={u.role} user={u} />)}</ul>
      )}
      <Audit />
    </Page>
  );
}
