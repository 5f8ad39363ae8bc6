// Commissioning, pulse counters: input, kind (electricity, water, gas, other), quantity per pulse
// and unit, with a name and a place. The section is saved as a whole through
// /api/v1/config/pulse-counters (validate, confirm, apply; it applies at the next start).
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { Input, Loading, Select, num, useGet, useSection, useConfigChange } from './config_kit.jsx';

const KINDS = [['PULSE_KIND_ENERGY', 'cmKindEnergy'], ['PULSE_KIND_WATER', 'cmKindWater'],
  ['PULSE_KIND_GAS', 'cmKindGas'], ['PULSE_KIND_OTHER', 'cmKindOther']];
const UNITS = { PULSE_UNIT_WH: 'Wh', PULSE_UNIT_KWH: 'kWh', PULSE_UNIT_LITRE: 'L', PULSE_UNIT_CUBIC_METRE: 'm³' };
const UNITS_OF = {
  PULSE_KIND_ENERGY: ['PULSE_UNIT_WH', 'PULSE_UNIT_KWH'],
  PULSE_KIND_WATER: ['PULSE_UNIT_LITRE', 'PULSE_UNIT_CUBIC_METRE'],
  PULSE_KIND_GAS: ['PULSE_UNIT_CUBIC_METRE', 'PULSE_UNIT_LITRE'],
  PULSE_KIND_OTHER: Object.keys(UNITS),
};
export const unitName = (unit) => UNITS[unit] || unit;
export const kindName = (kind) => t(KINDS.find(([k]) => k === kind)?.[1] || kind);

export function PulseStep() {
  const section = useSection('pulse-counters', 'pulse_counters');
  const health = useGet('/api/v1/health');
  const [edit, setEdit] = useState(null);
  const change = useConfigChange('pulse-counters', { confirm: true, onApplied: () => { setEdit(null); section.reload(); } });
  if (section.value === undefined) return <Loading error={section.error} />;
  const list = edit ?? section.value.map((c) => ({
    ...c, input: String(c.input), quantity_per_pulse: String(c.quantity_per_pulse), starting_index: String(c.starting_index ?? 0),
  }));
  const setAt = (i, k) => (x) => setEdit(list.map((c, j) => {
    if (j !== i) return c;
    const next = { ...c, [k]: x };
    if (k === 'kind' && !UNITS_OF[x].includes(c.unit)) next.unit = UNITS_OF[x][0];
    return next;
  }));
  const add = () => {
    const used = list.map((c) => Number(c.input));
    let input = 1;
    while (used.includes(input)) input += 1;
    setEdit([...list, { id: `pulse-${input}`, name: '', location: '', input: String(input), kind: 'PULSE_KIND_ENERGY',
      quantity_per_pulse: '1', unit: 'PULSE_UNIT_WH', min_pulse_width_ms: 0, starting_index: '0' }]);
  };
  const submit = (e) => {
    e.preventDefault();
    change.submit({ pulse_counters: list.map((c) => ({
      ...c, input: num(c.input), quantity_per_pulse: num(c.quantity_per_pulse), starting_index: num(c.starting_index),
    })) });
  };
  const fields = ['id', 'name', 'location', 'input', 'kind', 'quantity_per_pulse', 'unit', 'starting_index'];
  const paths = list.flatMap((_, i) => fields.map((k) => `pulse_counters[${i}].${k}`));
  return (
    <form class="card form wide" noValidate onSubmit={submit} aria-labelledby="cm-pulse">
      <h2 id="cm-pulse">{t('cmPulse')}</h2>
      <p class="help">{t('cmPulseHelp', { n: health.data?.model_size ?? '…' })}</p>
      {list.length ? null : <p>{t('cmNoPulse')}</p>}
      <ul class="cards">
        {list.map((c, i) => {
          const p = (k) => `pulse_counters[${i}].${k}`;
          return (
            <li key={i} class="card cm-item cm-pulse" data-counter={c.id}>
              <Input path={p('name')} label={t('cmName')} value={c.name} onValue={setAt(i, 'name')} errors={change.errors} />
              <Input path={p('location')} label={t('cmLocation')} value={c.location} onValue={setAt(i, 'location')} errors={change.errors} />
              <div class="cm-row">
                <Input path={p('input')} label={t('cmInput')} value={c.input} onValue={setAt(i, 'input')} errors={change.errors} type="number" inputMode="numeric" min="1" />
                <Select path={p('kind')} label={t('cmKind')} value={c.kind} onValue={setAt(i, 'kind')} errors={change.errors}
                        options={KINDS.map(([k, key]) => [k, t(key)])} />
              </div>
              <div class="cm-row">
                <Input path={p('quantity_per_pulse')} label={t('cmPerPulse')} value={c.quantity_per_pulse} onValue={setAt(i, 'quantity_per_pulse')} errors={change.errors} type="number" inputMode="decimal" step="any" />
                <Select path={p('unit')} label={t('cmUnit')} value={c.unit} onValue={setAt(i, 'unit')} errors={change.errors}
                        options={UNITS_OF[c.kind in UNITS_OF ? c.kind : 'PULSE_KIND_OTHER'].map((u) => [u, UNITS[u]])} />
              </div>
              <Input path={p('starting_index')} label={t('cmStartIndex', { unit: UNITS[c.unit] || '' })} help={t('cmStartIndexHelp')}
                     value={c.starting_index} onValue={setAt(i, 'starting_index')} errors={change.errors} type="number" inputMode="decimal" step="any" min="0" />
              <Input path={p('id')} label={t('cmId')} help={t('cmIdHelp')} value={c.id} onValue={setAt(i, 'id')} errors={change.errors} />
              <button type="button" class="button" onClick={() => setEdit(list.filter((_, j) => j !== i))}>
                {t('cmRemoveItem', { name: c.name || c.id })}
              </button>
            </li>
          );
        })}
      </ul>
      <div class="actions">
        <button type="button" class="button" onClick={add}>{t('cmAddPulse')}</button>
        <button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button>
      </div>
      {change.panel(paths)}
    </form>
  );
}
