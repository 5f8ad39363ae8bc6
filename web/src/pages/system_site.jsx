// The consumption tree (boards, their groups and the meters counted in each) and the tariffs (time
// bands with a price), the configuration's consumption_tree and tariffs sections. Both apply at
// once (docs/api.md); the server's validate route names the wrong field, shown beside it.
import { usePoll } from '../api.js';
import { t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Field } from '../form.jsx';
import { Loading, OtherErrors, useConfigChange, useSection } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

const COUNTER_UNITS = /^(k?Wh|MWh|L|m³|m3)$/;
const DAYS = [0, 1, 2, 3, 4, 5, 6];
const QUANTITIES = ['TARIFF_QUANTITY_ELECTRICITY', 'TARIFF_QUANTITY_WATER', 'TARIFF_QUANTITY_GAS'];

const memberKey = (m) => (m.pulse_counter_id ? `p:${m.pulse_counter_id}` : `m:${m.modbus?.device_id}|${m.modbus?.quantity_id}`);
const memberOf = (key) => (key.startsWith('p:') ? { pulse_counter_id: key.slice(2) }
  : { modbus: { device_id: key.slice(2).split('|')[0], quantity_id: key.slice(2).split('|')[1] } });
const replace = (list, i, item) => list.map((x, j) => (j === i ? item : x));
const without = (list, i) => list.filter((_, j) => j !== i);
const toTime = (minute) => `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const fromTime = (text, end) => {
  const [h, m] = text.split(':').map(Number);
  const minute = h * 60 + m;
  return end && minute === 0 ? 1440 : minute;
};

// The form records the paths it shows next to a field while it renders (before OtherErrors
// renders), so that OtherErrors lists only the rest.
function useShown() {
  const shown = new Set();
  const err = (errors, path) => { shown.add(path); return errors[path]; };
  return [shown, err];
}

function TextInput({ id, label, value, error, onInput, help }) {
  return (
    <Field id={id} label={label} help={help} error={error}>
      {(a) => <input {...a} type="text" autocomplete="off" spellcheck={false} value={value}
                     onInput={(e) => onInput(e.currentTarget.value)} />}
    </Field>
  );
}

function Tree({ members }) {
  const { value, setValue, error, reload } = useSection('consumption-tree');
  const { errors, busy, submit: save, panel } = useConfigChange('consumption-tree', { onApplied: reload });
  const [shown, err] = useShown();
  if (!value) return <Loading error={error} />;
  const boards = value.consumption_tree.boards || [];
  const setBoards = (next) => setValue({ consumption_tree: { ...value.consumption_tree, boards: next } });
  const options = new Map(members);
  for (const b of boards) for (const g of b.groups || []) for (const m of g.members || []) {
    if (!options.has(memberKey(m))) options.set(memberKey(m), memberKey(m).slice(2).replace('|', ' · '));
  }
  return (
    <form class="form card wide" onSubmit={(e) => { e.preventDefault(); save(value); }} noValidate aria-labelledby="tree-title">
      <h2 id="tree-title">{t('treeEdit')}</h2>
      <p class="help">{t('treeHelp')}</p>
      <OtherErrors errors={errors} shown={shown} />
      {boards.map((b, bi) => {
        const bp = `consumption_tree.boards[${bi}]`;
        const setBoard = (patch) => setBoards(replace(boards, bi, { ...b, ...patch }));
        const groups = b.groups || [];
        return (
          <fieldset key={bi} class="block" data-board={b.id}>
            <legend>{t('treeBoard', { n: bi + 1 })} {b.name}</legend>
            {err(errors, bp) ? <p class="field-error">{errors[bp]}</p> : null}
            <TextInput id={`b${bi}-id`} label={t('siteId')} help={t('siteIdHelp')} error={err(errors, `${bp}.id`)} value={b.id} onInput={(v) => setBoard({ id: v })} />
            <TextInput id={`b${bi}-name`} label={t('siteName')} error={err(errors, `${bp}.name`)} value={b.name} onInput={(v) => setBoard({ name: v })} />
            <Field id={`b${bi}-parent`} label={t('treeParent')} error={err(errors, `${bp}.parent_board_id`)}>
              {(a) => (
                <select {...a} value={b.parent_board_id} onChange={(e) => setBoard({ parent_board_id: e.currentTarget.value })}>
                  <option value="">{t('treeTop')}</option>
                  {boards.filter((o, oi) => oi !== bi && o.id).map((o) => <option key={o.id} value={o.id}>{o.name || o.id}</option>)}
                </select>
              )}
            </Field>
            {groups.map((g, gi) => {
              const gp = `${bp}.groups[${gi}]`;
              const setGroup = (patch) => setBoard({ groups: replace(groups, gi, { ...g, ...patch }) });
              const chosen = new Set((g.members || []).map(memberKey));
              return (
                <fieldset key={gi} class="block inner">
                  <legend>{t('treeGroup', { n: gi + 1 })} {g.name}</legend>
                  {err(errors, gp) ? <p class="field-error">{errors[gp]}</p> : null}
                  <TextInput id={`b${bi}g${gi}-id`} label={t('siteId')} error={err(errors, `${gp}.id`)} value={g.id} onInput={(v) => setGroup({ id: v })} />
                  <TextInput id={`b${bi}g${gi}-name`} label={t('siteName')} error={err(errors, `${gp}.name`)} value={g.name} onInput={(v) => setGroup({ name: v })} />
                  <fieldset class="roles">
                    <legend>{t('treeMembers')}</legend>
                    {(g.members || []).map((m, mi) => (err(errors, `${gp}.members[${mi}]`)
                      ? <p key={mi} class="field-error">{memberKey(m).slice(2)}: {errors[`${gp}.members[${mi}]`]}</p> : null))}
                    {[...options].map(([key, label]) => (
                      <label key={key} class="choice">
                        <input type="checkbox" checked={chosen.has(key)} onChange={(e) => {
                          const keys = e.currentTarget.checked ? [...chosen, key] : [...chosen].filter((k) => k !== key);
                          setGroup({ members: keys.map(memberOf) });
                        }} />
                        <span>{label}</span>
                      </label>
                    ))}
                  </fieldset>
                  <button type="button" class="button" onClick={() => setBoard({ groups: without(groups, gi) })}>{t('treeRemoveGroup')}</button>
                </fieldset>
              );
            })}
            <div class="actions">
              <button type="button" class="button" onClick={() => setBoard({ groups: [...groups, { id: '', name: '', members: [] }] })}>{t('treeAddGroup')}</button>
              <button type="button" class="button" onClick={() => setBoards(without(boards, bi))}>{t('treeRemoveBoard')}</button>
            </div>
          </fieldset>
        );
      })}
      <div class="actions">
        <button type="button" class="button" onClick={() => setBoards([...boards, { id: '', name: '', parent_board_id: '', groups: [] }])}>{t('treeAddBoard')}</button>
        <button type="submit" class="button primary" disabled={busy}>{t('save')}</button>
      </div>
      {panel(null, { id: 'tree-result', restartLink: true })}
    </form>
  );
}

function Tariffs() {
  const { value, setValue, error, reload } = useSection('tariffs');
  const { errors, busy, submit: save, panel } = useConfigChange('tariffs', { onApplied: reload });
  const [shown, err] = useShown();
  if (!value) return <Loading error={error} />;
  const tariffs = value.tariffs || [];
  const setTariffs = (next) => setValue({ tariffs: next });
  const submit = (e) => {
    e.preventDefault();
    save({ tariffs: tariffs.map((tf) => ({ ...tf, bands: tf.bands.map((b) => ({ ...b, price_per_unit: Number(b.price_per_unit) })) })) });
  };
  return (
    <form class="form card wide" onSubmit={submit} noValidate aria-labelledby="tariffs-title">
      <h2 id="tariffs-title">{t('tariffsEdit')}</h2>
      <p class="help">{t('tariffsHelp')}</p>
      <OtherErrors errors={errors} shown={shown} />
      {!tariffs.length ? <p>{t('tariffsNone')}</p> : null}
      {tariffs.map((tf, ti) => {
        const tp = `tariffs[${ti}]`;
        const setTariff = (patch) => setTariffs(replace(tariffs, ti, { ...tf, ...patch }));
        const bands = tf.bands || [];
        return (
          <fieldset key={ti} class="block" data-tariff={tf.id}>
            <legend>{t('tariffN', { n: ti + 1 })} {tf.name}</legend>
            {err(errors, tp) ? <p class="field-error">{errors[tp]}</p> : null}
            <TextInput id={`t${ti}-id`} label={t('siteId')} help={t('siteIdHelp')} error={err(errors, `${tp}.id`)} value={tf.id} onInput={(v) => setTariff({ id: v })} />
            <TextInput id={`t${ti}-name`} label={t('siteName')} error={err(errors, `${tp}.name`)} value={tf.name} onInput={(v) => setTariff({ name: v })} />
            <Field id={`t${ti}-quantity`} label={t('tariffQuantity')} error={err(errors, `${tp}.quantity`)}>
              {(a) => (
                <select {...a} value={tf.quantity} onChange={(e) => setTariff({ quantity: e.currentTarget.value })}>
                  {QUANTITIES.map((q) => <option key={q} value={q}>{t(`tariff_${q}`)}</option>)}
                </select>
              )}
            </Field>
            <TextInput id={`t${ti}-currency`} label={t('tariffCurrency')} error={err(errors, `${tp}.currency`)} value={tf.currency} onInput={(v) => setTariff({ currency: v.toUpperCase() })} />
            {bands.map((b, bi) => {
              const bp = `${tp}.bands[${bi}]`;
              const setBand = (patch) => setTariff({ bands: replace(bands, bi, { ...b, ...patch }) });
              return (
                <fieldset key={bi} class="block inner">
                  <legend>{t('bandN', { n: bi + 1 })} {b.name}</legend>
                  {err(errors, bp) ? <p class="field-error">{errors[bp]}</p> : null}
                  <TextInput id={`t${ti}b${bi}-name`} label={t('bandName')} error={err(errors, `${bp}.name`)} value={b.name} onInput={(v) => setBand({ name: v })} />
                  <fieldset class="roles days">
                    <legend>{t('bandDays')}</legend>
                    {DAYS.map((d) => (
                      <label key={d} class="choice">
                        <input type="checkbox" checked={(b.weekday_mask >> d) & 1}
                               onChange={(e) => setBand({ weekday_mask: e.currentTarget.checked ? b.weekday_mask | (1 << d) : b.weekday_mask & ~(1 << d) })} />
                        <span>{t(`day${d}`)}</span>
                      </label>
                    ))}
                    {err(errors, `${bp}.weekday_mask`) ? <p class="field-error">{errors[`${bp}.weekday_mask`]}</p> : null}
                  </fieldset>
                  <Field id={`t${ti}b${bi}-start`} label={t('bandStart')} error={err(errors, `${bp}.start_minute`)}>
                    {(a) => <input {...a} type="time" value={toTime(b.start_minute)} onInput={(e) => e.currentTarget.value && setBand({ start_minute: fromTime(e.currentTarget.value, false) })} />}
                  </Field>
                  <Field id={`t${ti}b${bi}-end`} label={t('bandEnd')} help={t('bandEndHelp')} error={err(errors, `${bp}.end_minute`)}>
                    {(a) => <input {...a} type="time" value={toTime(b.end_minute)} onInput={(e) => e.currentTarget.value && setBand({ end_minute: fromTime(e.currentTarget.value, true) })} />}
                  </Field>
                  <Field id={`t${ti}b${bi}-price`} label={t('bandPrice', { currency: tf.currency || '—', unit: tf.quantity === 'TARIFF_QUANTITY_ELECTRICITY' ? 'kWh' : 'm³' })} error={err(errors, `${bp}.price_per_unit`)}>
                    {(a) => <input {...a} type="number" inputMode="decimal" min="0" step="any" value={b.price_per_unit} onInput={(e) => setBand({ price_per_unit: e.currentTarget.value })} />}
                  </Field>
                  <button type="button" class="button" onClick={() => setTariff({ bands: without(bands, bi) })}>{t('bandRemove')}</button>
                </fieldset>
              );
            })}
            <div class="actions">
              <button type="button" class="button" onClick={() => setTariff({ bands: [...bands, { name: '', weekday_mask: 127, start_minute: 0, end_minute: 1440, price_per_unit: 0 }] })}>{t('bandAdd')}</button>
              <button type="button" class="button" onClick={() => setTariffs(without(tariffs, ti))}>{t('tariffRemove')}</button>
            </div>
          </fieldset>
        );
      })}
      <div class="actions">
        <button type="button" class="button" onClick={() => setTariffs([...tariffs, { id: '', name: '', quantity: 'TARIFF_QUANTITY_ELECTRICITY', currency: 'EUR',
          bands: [{ name: '', weekday_mask: 127, start_minute: 0, end_minute: 1440, price_per_unit: 0 }] }])}>{t('tariffAdd')}</button>
        <button type="submit" class="button primary" disabled={busy}>{t('save')}</button>
      </div>
      {panel(null, { id: 'tariffs-result', restartLink: true })}
    </form>
  );
}

export function SitePage() {
  const devices = usePoll('/api/v1/devices', 600000);
  // What a group can count: each pulse counter, and each counter quantity (energy, water, gas) of
  // each Modbus device.
  const members = [];
  for (const d of devices.data?.devices || []) {
    if (d.line === 'pulse') members.push([`p:${d.id}`, `${d.name} (${d.id})`]);
    else {
      for (const v of d.values || []) {
        if (COUNTER_UNITS.test(v.unit || '')) members.push([`m:${d.id}|${v.quantity}`, `${d.name} · ${v.name}`]);
      }
    }
  }
  return (
    <Page title={t('sysSiteTitle')}>
      <SystemNav current="site" />
      {devices.data ? <Tree members={members} /> : <Loading error={devices.error} />}
      <Tariffs />
    </Page>
  );
}
