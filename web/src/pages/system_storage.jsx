// Storage: the history's horizons (the storage section: days at minute and hour resolution, the
// byte budget of the non-counter quantities, the commit interval) and, per quantity, how far back
// each resolution goes today (/api/v1/history/series).
import { useState } from 'preact/hooks';
import { usePoll } from '../api.js';
import { formatDateTime, formatDuration, t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Field } from '../form.jsx';
import { Loading, useConfigChange, useSection } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

const MIB = 1024 * 1024;
const RESOLUTIONS = ['minute', 'hour', 'day', 'month', 'year'];

// A number input bound to a field of the section; the text is kept as typed until saved.
function NumberField({ id, path, label, help, value, errors, onInput, min, max }) {
  return (
    <Field id={id} label={label} help={help} error={errors[path]}>
      {(a) => <input {...a} type="number" inputMode="numeric" min={min} max={max} step="1" value={value}
                     onInput={(e) => onInput(e.currentTarget.value)} />}
    </Field>
  );
}

function Settings() {
  const { value, error, reload } = useSection('storage');
  const { errors, busy, submit: save, panel } = useConfigChange('storage', { onApplied: reload });
  const [draft, setDraft] = useState(null);
  if (!value) return <Loading error={error} />;
  const s = value.storage;
  const d = draft ?? {
    minute: String(s.minute_tier_days), hour: String(s.hour_tier_days),
    budget: String(Math.round(Number(s.non_counter_budget_bytes) / MIB)), commit: String(s.commit_interval_s),
  };
  const set = (name) => (text) => setDraft({ ...d, [name]: text });
  const submit = (e) => {
    e.preventDefault();
    // Numbers as typed (an empty or odd entry goes to the server's validation, which names it).
    const num = (text) => (text.trim() === '' ? -1 : Number(text));
    save({ storage: { ...s, minute_tier_days: num(d.minute), hour_tier_days: num(d.hour),
      non_counter_budget_bytes: String(Math.round(num(d.budget) * MIB)), commit_interval_s: num(d.commit) } });
  };
  return (
    <form class="form card" onSubmit={submit} noValidate aria-labelledby="storage-title">
      <h2 id="storage-title">{t('storageSettings')}</h2>
      <p class="help">{t('storageSettingsHelp')}</p>
      <NumberField id="minute-days" path="storage.minute_tier_days" label={t('storageMinuteDays')}
                   help={t('storageMinuteDaysHelp')} value={d.minute} errors={errors} onInput={set('minute')} min="1" max="3650" />
      <NumberField id="hour-days" path="storage.hour_tier_days" label={t('storageHourDays')}
                   help={t('storageHourDaysHelp')} value={d.hour} errors={errors} onInput={set('hour')} min="1" max="36500" />
      <NumberField id="budget" path="storage.non_counter_budget_bytes" label={t('storageBudget')}
                   help={t('storageBudgetHelp')} value={d.budget} errors={errors} onInput={set('budget')} min="1" />
      <NumberField id="commit" path="storage.commit_interval_s" label={t('storageCommit')}
                   help={t('storageCommitHelp')} value={d.commit} errors={errors} onInput={set('commit')} min="0" max="3600" />
      <div class="actions"><button type="submit" class="button primary" disabled={busy}>{t('save')}</button></div>
      {panel(null, { id: 'storage-result', restartLink: true })}
    </form>
  );
}

function horizonText(h) {
  if (!h) return '—';
  const kept = h.kept_s == null ? t('storageForever') : formatDuration(h.kept_s);
  return h.oldest ? t('storageKeptSince', { kept, oldest: formatDateTime(h.oldest) }) : t('storageKeptEmpty', { kept });
}

function Horizons() {
  const { data, error } = usePoll('/api/v1/history/series', 60000);
  if (!data) return <Loading error={error} />;
  const byDevice = new Map();
  for (const s of data.series || []) {
    if (!byDevice.has(s.device)) byDevice.set(s.device, []);
    byDevice.get(s.device).push(s);
  }
  return (
    <section class="card" aria-labelledby="horizons-title">
      <h2 id="horizons-title">{t('storageHorizons')}</h2>
      <p class="help">{t('storageHorizonsHelp')}</p>
      {!byDevice.size ? <p>{t('noHistory')}</p> : null}
      {[...byDevice].map(([device, series]) => (
        <details key={device} class="horizon-device">
          <summary>{device} <span class="facts">({t('storageSeries', { n: series.length })})</span></summary>
          <ul class="plain horizon-list">
            {series.map((s) => (
              <li key={s.quantity} data-quantity={s.quantity}>
                <strong>{s.quantity}</strong> <span class="facts">{s.unit} · {t(`storageKind_${s.kind}`)}</span>
                <dl class="rows">
                  {RESOLUTIONS.map((r) => (
                    <div class="row" key={r}><dt>{t(`res_${r}`)}</dt><dd>{horizonText(s.horizons?.[r])}</dd></div>
                  ))}
                </dl>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </section>
  );
}

export function StoragePage() {
  return (
    <Page title={t('sysStorageTitle')}>
      <SystemNav current="storage" />
      <Settings />
      <Horizons />
    </Page>
  );
}
