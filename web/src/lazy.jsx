// Pages and page parts loaded on demand (a chunk of their own), so the first load stays small.
import { useEffect, useState } from 'preact/hooks';
import { t } from './i18n.js';

export const LAZY = {
  data: () => import('./pages/data.jsx').then((m) => m.DataPage),
  admin: () => import('./pages/admin.jsx').then((m) => m.AdminPage),
  reports: () => import('./pages/reports.jsx').then((m) => m.ReportsPage),
  dashboard: () => import('./pages/dashboard.jsx').then((m) => m.Dashboard),
  chart: () => import('./pages/chart.jsx').then((m) => m.ChartPage),
  test: () => import('./pages/test.jsx').then((m) => m.TestPage),
  system: () => import('./pages/system.jsx').then((m) => m.SystemPages),
  commission: () => import('./pages/commission.jsx').then((m) => m.CommissionPage),
};

export function Lazy({ name, ...props }) {
  const [Component, setComponent] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let alive = true;
    LAZY[name]().then((c) => alive && setComponent(() => c), () => alive && setFailed(true));
    return () => { alive = false; };
  }, [name]);
  if (failed) return <p class="error-text" role="alert">{t('pageLoadFailed')}</p>;
  return Component ? <Component {...props} /> : <p>{t('loading')}</p>;
}
