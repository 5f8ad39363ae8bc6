// Data download: the history of one device as a CSV file, for a set of quantities, a period and a
// resolution, in the separator style of the user's spreadsheet (FR: `;` and decimal comma; EN: `,`
// and decimal point). Asks `GET /api/v1/history/csv`; a device without that route gets the same
// rows from the files of `GET /api/v1/files/…` (whole days, months or years), reshaped here.
import { useState } from 'preact/hooks';
import { ApiError, apiGet, apiText, saveFile, usePoll } from '../api.js';
import { lang, t } from '../i18n.js';
import { Page } from './devices.jsx';

const CSV_TYPE = 'text/csv;charset=utf-8';

const RESOLUTIONS = ['minute', 'hour', 'day', 'month', 'year'];
const isoDate = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;

// Splits one CSV line (RFC 4180 quoting) on `sep`.
function splitCsv(line, sep) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { fields.push(field); field = ''; } else field += c;
  }
  fields.push(field);
  return fields;
}

const joinCsv = (fields, sep) => fields.map((f) => (f.includes(sep) || f.includes('"') || f.includes('\n')
  ? `"${f.replace(/"/g, '""')}"` : f)).join(sep);

// The files' format (`;`, decimal comma, BOM, CRLF) reshaped: only the chosen quantities' columns,
// the files after the first without their header, and the comma style if asked.
export function reshapeCsv(texts, quantities, separator) {
  const out = [];
  let keep = null;
  texts.forEach((text, n) => {
    const lines = text.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l !== '');
    lines.forEach((line, i) => {
      const fields = splitCsv(line, ';');
      if (i === 0) {
        if (!keep) {
          keep = fields.map((name, c) => c < 2 || name === 'Note' || quantities.length === 0
            || quantities.some((q) => name.startsWith(`${q} `)));
        }
        if (n > 0) return;
      }
      let row = fields.filter((_, c) => keep[c]);
      if (separator === 'comma' && i > 0) row = row.map((f) => (/^-?\d+,\d+$/.test(f) ? f.replace(',', '.') : f));
      out.push(joinCsv(row, separator === 'comma' ? ',' : ';'));
    });
  });
  return `\uFEFF${out.join('\r\n')}\r\n`;
}

// The files that cover [from, to] at a resolution: day files (minute rows), month files (hour
// rows), year files (day rows). Coarser resolutions have no files.
export function filesFor(device, from, to, resolution) {
  const names = [];
  const d = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T00:00:00`);
  while (d <= end && names.length <= 400) {
    const y = d.getFullYear();
    const m = String(d.getMonth() + 1).padStart(2, '0');
    if (resolution === 'minute') { names.push(`${device}_${isoDate(d)}.csv`); d.setDate(d.getDate() + 1); }
    else if (resolution === 'hour') { names.push(`${device}_${y}-${m}.csv`); d.setDate(1); d.setMonth(d.getMonth() + 1); }
    else if (resolution === 'day') { names.push(`${device}_${y}.csv`); d.setMonth(0, 1); d.setFullYear(y + 1); }
    else return null;
  }
  return names;
}

// Whether the device serves the history routes (on a device without them `series` is 404 too).
async function historyServed() {
  try { await apiGet('/api/v1/history/series'); return true; } catch (e) { return e.status !== 404; }
}

export function DataPage() {
  const { data, error } = usePoll('/api/v1/devices', 30000);
  const today = isoDate(new Date());
  const [form, setForm] = useState({ device: '', quantities: [], from: today, to: today, resolution: 'hour',
    separator: lang.value === 'fr' ? 'semicolon' : 'comma' });
  const [state, setState] = useState({ busy: false, message: null, error: null, errorField: null });
  const devices = data ? data.devices : [];
  const device = devices.find((d) => d.id === form.device) || devices[0];
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));

  const download = async (e) => {
    e.preventDefault();
    if (!device) return;
    if (form.from > form.to) { setState({ error: t('dataPeriodOrder'), errorField: 'data-to' }); return; }
    setState({ busy: true });
    const q = new URLSearchParams({ device: device.id, from: form.from, to: isoDate(new Date(new Date(`${form.to}T00:00:00`).getTime() + 36 * 3600e3)),
      resolution: form.resolution, separator: form.separator });
    if (form.quantities.length) q.set('quantities', form.quantities.join(','));
    try {
      const { text, name } = await apiText(`/api/v1/history/csv?${q}`);
      saveFile(text, name || `${device.id}_${form.from}_${form.to}_${form.resolution}.csv`, CSV_TYPE);
      setState({ message: t('dataDone', { name: name || device.id }) });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) {
        setState({ error: t('serverError', { message: err.message }) });
        return;
      }
      if (await historyServed()) { // the device has the route: nothing stored for that choice
        setState({ error: `${t('dataNothing')} (${err.message})` });
        return;
      }
      // No history route on this device: the CSV files of /api/v1/files, whole periods.
      const names = filesFor(device.id, form.from, form.to, form.resolution);
      if (!names) { setState({ error: t('dataNoFiles') }); return; }
      try {
        const texts = [];
        for (const file of names) {
          try {
            texts.push((await apiText(`/api/v1/files/${encodeURIComponent(device.id)}/${encodeURIComponent(file)}`)).text);
          } catch (fileErr) { if (fileErr.status !== 404) throw fileErr; }
        }
        if (!texts.length) { setState({ error: t('dataNothing') }); return; }
        const name = `${device.id}_${form.from}_${form.to}_${form.resolution}.csv`;
        saveFile(reshapeCsv(texts, form.quantities, form.separator), name, CSV_TYPE);
        setState({ message: t('dataDoneFiles', { name, files: texts.length }) });
      } catch (fileErr) {
        setState({ error: t('serverError', { message: fileErr.message }) });
      }
    }
  };

  return (
    <Page title={t('dataTitle')}>
      <p>{t('dataIntro')}</p>
      {!data ? <p class={error ? 'error-text' : ''}>{error ? error.message : t('loading')}</p> : (
        <form class="form card" onSubmit={download} noValidate>
          <div class="field">
            <label for="data-device">{t('dataDevice')}</label>
            <select id="data-device" value={device?.id} onChange={(e) => set({ device: e.currentTarget.value, quantities: [] })}>
              {devices.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
            </select>
          </div>
          {device && device.values.length ? (
            <fieldset class="roles">
              <legend>{t('dataQuantities')}</legend>
              <p class="help">{t('dataQuantitiesHelp')}</p>
              {device.values.map((v) => (
                <label key={v.quantity} class="choice">
                  <input type="checkbox" name="quantity" value={v.quantity} checked={form.quantities.includes(v.quantity)}
                         onChange={(e) => set({ quantities: e.currentTarget.checked ? [...form.quantities, v.quantity]
                           : form.quantities.filter((q) => q !== v.quantity) })} />
                  <span>{v.name} {v.unit ? `(${v.unit})` : ''}</span>
                </label>
              ))}
            </fieldset>
          ) : null}
          <div class="field">
            <label for="data-from">{t('dataFrom')}</label>
            <input id="data-from" type="date" value={form.from} max={today} onChange={(e) => set({ from: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="data-to">{t('dataTo')}</label>
            <input id="data-to" type="date" value={form.to} max={today} onChange={(e) => set({ to: e.currentTarget.value })}
                   aria-invalid={state.errorField === 'data-to' ? 'true' : undefined}
                   aria-describedby={state.errorField === 'data-to' ? 'data-to-error' : undefined} />
            {state.errorField === 'data-to' ? <p id="data-to-error" class="field-error">{state.error}</p> : null}
          </div>
          <div class="field">
            <label for="data-resolution">{t('dataResolution')}</label>
            <select id="data-resolution" value={form.resolution} onChange={(e) => set({ resolution: e.currentTarget.value })}>
              {RESOLUTIONS.map((r) => <option key={r} value={r}>{t(`res_${r}`)}</option>)}
            </select>
          </div>
          <fieldset class="roles">
            <legend>{t('dataSeparator')}</legend>
            {[['semicolon', 'dataSemicolon'], ['comma', 'dataComma']].map(([value, key]) => (
              <label key={value} class="choice">
                <input type="radio" name="separator" value={value} checked={form.separator === value}
                       onChange={() => set({ separator: value })} />
                <span>{t(key)}</span>
              </label>
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit" class="button primary" disabled={state.busy}>{state.busy ? t('dataBusy') : t('dataDownload')}</button>
          </div>
          <div role="status" aria-live="polite">
            {state.message ? <p class="ok-text">{state.message}</p> : null}
            {state.error && !state.errorField ? <p class="error-text">{state.error}</p> : null}
          </div>
        </form>
      )}
    </Page>
  );
}
