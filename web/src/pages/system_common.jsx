// The administrator's pages' sub-navigation. Their fields and confirmation steps are the shared ones
// (form.jsx), their configuration sections go through config_kit.jsx.
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
