// The app shell: header (site, LED strip, language, session), the page, the navigation (a bottom
// bar on phones, a top bar on wider screens) and the connection-lost banner. Hash routes, so the
// server only ever serves index.html and the hashed assets.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { apiPost, connection, refreshSession, session } from './api.js';
import { lang, languages, setLanguage, t } from './i18n.js';
import { Lazy } from './lazy.jsx';
import { LedStrip } from './leds.jsx';
import { useSignal } from './signal.js';
import { DevicesPage } from './pages/devices.jsx';
import { DevicePage } from './pages/device.jsx';
import { HealthPage } from './pages/health.jsx';
import { EnergyPage } from './pages/energy.jsx';
import { ChargersPage } from './pages/chargers.jsx';
import { ChangeCodesPage, LoginPage, ROLES, UnblockPage } from './pages/login.jsx';

// Each user type's home page (UI.md): what it comes to the box for.
export const HOME = { administrator: 'system', installer: 'devices', greenUp: 'chargers', user: 'energy' };

// Who may commission (the server's configure_* permissions, docs/security.md).
const COMMISSIONING_ROLES = ['administrator', 'installer'];

// Which pages a role sees in its navigation (the server enforces access; this only avoids
// offering pages that would answer 403).
const NAV = [
  ['devices', 'navDevices', ['administrator', 'installer']],
  ['commission', 'navCommission', COMMISSIONING_ROLES],
  ['energy', 'navEnergy', ['administrator', 'installer', 'user']],
  ['chargers', 'navChargers', ['administrator', 'installer', 'greenUp']],
  ['test', 'navTest', ['administrator', 'installer']],
  ['data', 'navData', ['administrator', 'installer', 'user']],
  ['health', 'navHealth', ['installer', 'greenUp', 'user']],
  ['system', 'navSystemAdmin', ['administrator']],
  ['admin', 'navAdmin', ['administrator']],
  ['reports', 'navReports', ['administrator']],
];

const ICONS = {
  devices: 'M4 5h16v4H4zM4 11h16v4H4zM4 17h16v3H4z',
  energy: 'M13 2 4 14h7l-1 8 9-12h-7z',
  chargers: 'M7 2h8v9h2a2 2 0 0 1 2 2v5a1 1 0 0 0 2 0V9l-2-2 1-1 3 3v9a3 3 0 0 1-6 0v-5h-2v9H7z',
  health: 'M3 12h4l3-7 4 14 3-7h4',
  admin: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 10v-2a6 6 0 0 1 12 0v2zm15-9a3 3 0 1 0 0-6v6zm1 9v-2a6 6 0 0 0-2-4.5 5 5 0 0 1 6 4.5v2z',
  test: 'M9 2h6v2h-1v5.5l5.6 9.7A2 2 0 0 1 17.9 22H6.1a2 2 0 0 1-1.7-2.8L10 9.5V4H9zm3 9-2.6 4.5h5.2z',
  system: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm-1-6h2l.5 3 2 .8 2.5-1.8 1.4 1.4-1.8 2.5.8 2 3 .5v2l-3 .5-.8 2 1.8 2.5-1.4 1.4-2.5-1.8-2 .8-.5 3h-2l-.5-3-2-.8-2.5 1.8-1.4-1.4 1.8-2.5-.8-2-3-.5v-2l3-.5.8-2-1.8-2.5 1.4-1.4 2.5 1.8 2-.8z',
  data: 'M11 3h2v10l3-3 1.4 1.4L12 16.8l-5.4-5.4L8 10l3 3zM4 18h16v3H4z',
  reports: 'M3 5h18v14H3zm2 2v.5l7 4.5 7-4.5V7zm0 3v7h14v-7l-7 4.5z',
  commission: 'M14.7 6.3a4 4 0 0 0-5.4 5.1L3 17.7 6.3 21l6.3-6.3a4 4 0 0 0 5.1-5.4l-2.5 2.5-2.4-.6-.6-2.4z',
  login: 'M12 2a5 5 0 0 1 5 5v3h2v12H5V10h2V7a5 5 0 0 1 5-5zm0 2a3 3 0 0 0-3 3v3h6V7a3 3 0 0 0-3-3z',
};

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: parts[0] || '', arg: parts[1] };
}

function Banner() {
  const state = useSignal(connection);
  return (
    <div class={state === 'lost' ? 'banner' : 'banner hidden'} role="status" aria-live="assertive">
      {state === 'lost' ? t('connectionLost') : ''}
    </div>
  );
}

function LanguagePicker() {
  const current = useSignal(lang);
  return (
    <label class="lang">
      <span class="sr-only">{t('language')}</span>
      <select value={current} onChange={(e) => setLanguage(e.currentTarget.value)}>
        {languages.map(([code, name]) => <option key={code} value={code} lang={code}>{name}</option>)}
      </select>
    </label>
  );
}

function Nav({ items, active }) {
  return (
    <nav class="nav" aria-label={t('nav')}>
      <ul>
        {items.map(([page, key]) => (
          <li key={page}>
            <a href={`#/${page}`} aria-current={active === page ? 'page' : undefined}>
              <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d={ICONS[page]} /></svg>
              <span>{t(key)}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function roleName(role) {
  const entry = ROLES.find(([r]) => r === role);
  return entry ? t(entry[1]) : role;
}

function App() {
  const current = useSignal(session);
  useSignal(lang); // re-render every text on a language change
  const { page, arg } = useRoute();
  useEffect(() => { refreshSession(); }, []);
  useEffect(() => { document.documentElement.lang = lang.value; document.title = t('appName'); });

  const active = current.state === 'active';
  const open = current.state === 'unavailable'; // no session API yet: today's open pages
  const role = active ? current.role : null;
  const home = role ? HOME[role] : 'devices';
  let target = page || home;
  // Who may see what: before login only login/unblock; a session with factory codes only the
  // change of codes.
  if (current.state === 'none' && target !== 'unblock') target = 'login';
  if (active && current.must_change_codes) target = 'change-codes';
  if (active && (target === 'login' || target === 'unblock')) target = home;

  // After a navigation (not on the first load) focus moves to the new page's heading, so a screen
  // reader announces it and Tab continues from there.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) { firstRender.current = false; return; }
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [target, arg]);

  const navItems = active ? NAV.filter(([, , roles]) => roles.includes(role))
    : open ? NAV.map(([p, k]) => [p, k]) : [];
  const logout = async () => {
    try { await apiPost('/api/v1/session/logout', {}); } catch (e) { /* gone already */ }
    session.set({ state: 'none' });
    location.hash = '#/login';
  };

  let content;
  if (current.state === 'unknown') content = <p>{t('loading')}</p>;
  else if (target === 'login') content = <LoginPage />;
  else if (target === 'unblock') content = <UnblockPage />;
  else if (target === 'change-codes') content = <ChangeCodesPage />;
  else if (target === 'health') content = <HealthPage />;
  else if (target === 'chargers') content = <ChargersPage />;
  else if (target === 'energy') content = <EnergyPage />;
  else if (target === 'data' || target === 'admin' || target === 'reports') content = <Lazy name={target} />;
  else if (target === 'chart') content = <Lazy name="chart" />; // #/chart/<device>/<quantity>
  else if (target === 'test') content = <Lazy name="test" device={arg} />;
  else if (target === 'system') content = <Lazy name="system" sub={arg} />;
  else if (target === 'commission') {
    content = active && !COMMISSIONING_ROLES.includes(role)
      ? (
        <>
          <h1 id="page-title" tabIndex={-1}>{t('cmTitle')}</h1>
          <p class="error-text" role="alert">{t('cmRefused', { role: roleName(role) })}</p>
        </>
      )
      : <Lazy name="commission" step={arg} />;
  }
  else if (target === 'devices' && arg) content = <DevicePage id={arg} />;
  else content = <DevicesPage />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>{t('skip')}</a>
      <header class="top">
        <div class="brand">
          <a href="#/" class="logo" aria-label={t('appName')}>EWS</a>
        </div>
        <LedStrip />
        <div class="tools">
          <LanguagePicker />
          {active ? (
            <button type="button" class="button small" onClick={logout}
                    title={t('signedInAs', { role: roleName(role) })}>
              {t('logout')}<span class="sr-only"> ({roleName(role)})</span>
            </button>
          ) : open ? (
            <a class="button small" href="#/login" title={t('loginUnavailableShort')}>{t('navLogin')}</a>
          ) : null}
        </div>
      </header>
      <Banner />
      {navItems.length ? <Nav items={navItems} active={target} /> : null}
      <main id="main" tabIndex={-1} class={navItems.length ? 'with-nav' : ''}>{content}</main>
    </>
  );
}

render(<App />, document.getElementById('app'));
