// Commissioning, devices: a bus scan with progress per address and cancel, what answered with its
// identified profile or "unknown device" and its raw identification; add a device (from the scan or
// by address) with a name, a place and a profile; edit and remove the configured ones.
// Routes: /api/v1/scan, /api/v1/profiles, /api/v1/config/devices(/validate), /api/v1/devices.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiDelete, apiGet, apiPost, apiPut, usePoll } from '../api.js';
import { Confirm } from '../form.jsx';
import { t } from '../i18n.js';
import { StatusBadge } from './devices.jsx';
import { Input, Loading, Select, num, useConfigChange, useGet, useSection } from './config_kit.jsx';

const lineOf = (d) => (d.ip_gateway ? d.ip_gateway.gateway_id : 'rs485');
const idFor = (profile, address) => `${(profile || 'device').replace(/[^a-z0-9_-]+/gi, '_').toLowerCase()}`
  .slice(0, 28).concat(`-${address}`);

// --------------------------------------------------------------- the scan

function Scan({ gateways, configured, onPick }) {
  const [range, setRange] = useState({ line: 'rs485', first: '1', last: '32' });
  const [state, setState] = useState(null);
  const [problem, setProblem] = useState(null);
  const timer = useRef();
  const poll = async () => {
    try {
      const s = await apiGet('/api/v1/scan');
      setState(s);
      if (s.state === 'running') timer.current = setTimeout(poll, 400);
    } catch (e) {
      setProblem(t('serverError', { message: e.message }));
      timer.current = setTimeout(poll, 2000);
    }
  };
  useEffect(() => { poll(); return () => clearTimeout(timer.current); }, []);
  const start = async (e) => {
    e.preventDefault();
    setProblem(null);
    try {
      setState(await apiPost('/api/v1/scan', { line: range.line, first_address: num(range.first), last_address: num(range.last) }));
      clearTimeout(timer.current);
      timer.current = setTimeout(poll, 300);
    } catch (err) {
      setProblem(t('serverError', { message: err.message }));
    }
  };
  const cancel = async () => {
    try { setState(await apiDelete('/api/v1/scan')); } catch (err) { setProblem(t('serverError', { message: err.message })); }
  };
  const running = state?.state === 'running';
  const set = (k) => (x) => setRange({ ...range, [k]: x });
  const isConfigured = (line, address) => configured.some((d) => lineOf(d) === line && d.address === address);
  return (
    <section class="card" aria-labelledby="cm-scan">
      <h2 id="cm-scan">{t('cmScan')}</h2>
      <form class="form wide" noValidate onSubmit={start}>
        <p class="help">{t('cmScanHelp')}</p>
        <div class="cm-row">
          <Select path="scan.line" label={t('cmLine')} value={range.line} onValue={set('line')}
                  options={[['rs485', t('cmOurRs485')], ...gateways.map((g) => [g.id, g.name || g.id])]} />
          <Input path="scan.first" label={t('cmFirstAddress')} value={range.first} onValue={set('first')} type="number" inputMode="numeric" min="1" max="247" />
          <Input path="scan.last" label={t('cmLastAddress')} value={range.last} onValue={set('last')} type="number" inputMode="numeric" min="1" max="247" />
        </div>
        <div class="actions">
          <button class="button primary" disabled={running}>{t('cmScanStart')}</button>
          {running ? <button type="button" class="button" onClick={cancel}>{t('cmScanCancel')}</button> : null}
        </div>
      </form>
      {problem ? <p class="error-text" role="alert">{problem}</p> : null}
      {state && state.state !== 'idle' ? (
        <div class="cm-scan-state" data-state={state.state}>
          <label for="cm-scan-progress">{t('cmScanProgress', { done: state.done, total: state.total })}</label>
          <progress id="cm-scan-progress" max={state.total || 1} value={state.done} />
          <p role="status" aria-live="polite">
            {t(`cmScan_${state.state}`)}
            {running ? ` ${t('cmScanAt', { address: state.current_address })}` : ''}
            {' '}{t('cmScanAnswered', { list: (state.answered || []).join(', ') || '—' })}
          </p>
          {state.error ? <p class="error-text">{state.error}</p> : null}
        </div>
      ) : null}
      {state?.found?.length ? (
        <ul class="cards cm-found">
          {state.found.map((f) => (
            <li key={f.address} class="card" data-address={f.address}>
              <h3>{t('cmFoundAt', { address: f.address })}</h3>
              {f.profile ? <p>{f.profile_name || f.profile} <span class="facts">({f.profile})</span></p>
                : <p class="error-text">{t('cmUnknownDevice')}</p>}
              <details>
                <summary>{t('cmIdentification')}</summary>
                <p class="facts">{f.evidence}</p>
                <ul class="plain facts">
                  {(f.model_registers || []).map((r) => <li key={`${r.function}-${r.address}`}>{t('cmRegister', r)}</li>)}
                  {Object.entries(f.device_identification || {}).map(([k, val]) => <li key={k}>{t('cmObject', { id: k, value: val })}</li>)}
                </ul>
              </details>
              {isConfigured(state.line, f.address) ? <p class="facts">{t('cmAlreadyConfigured')}</p> : (
                <button type="button" class="button primary" onClick={() => onPick({
                  id: idFor(f.profile, f.address), name: f.profile_name || '', location: '', profile: f.profile || '',
                  address: String(f.address), line: state.line,
                })}>{t('cmAddFound', { address: f.address })}</button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

// --------------------------------------------------------------- add / edit one device

function DeviceForm({ initial, index, all, profiles, gateways, onDone, onCancel }) {
  const [v, setV] = useState(initial);
  const adding = index === all.length;
  const set = (k) => (x) => setV({ ...v, [k]: x });
  const device = () => ({
    id: v.id, name: v.name, location: v.location, profile: v.profile, address: num(v.address),
    ...(v.line === 'rs485' ? { rs485: {} } : { ip_gateway: { gateway_id: v.line } }),
    poll_interval_s: num(v.poll_interval_s),
  });
  const change = useConfigChange('devices', {
    confirm: true,
    apply: () => (adding ? apiPost('/api/v1/devices', device())
      : apiPut(`/api/v1/devices/${encodeURIComponent(initial.id)}`, device())),
    onApplied: () => onDone(v.name),
  });
  const submit = (e) => {
    e.preventDefault();
    const list = [...all];
    list[index] = device();
    change.submit({ modbus_devices: list });
  };
  const p = (k) => `modbus_devices[${index}].${k}`;
  const known = profiles.some((x) => x.id === v.profile);
  const options = [...(known ? [] : [[v.profile, v.profile ? v.profile : t('cmPickProfile')]]),
    ...profiles.map((x) => [x.id, `${x.name}${x.maker ? ` (${x.maker})` : ''}`])];
  return (
    <form class="card form wide cm-device-form" noValidate onSubmit={submit} aria-labelledby="cm-device-form">
      <h2 id="cm-device-form">{adding ? t('cmAddDevice') : t('cmEditDevice', { name: initial.name })}</h2>
      <Input path={p('name')} label={t('cmName')} value={v.name} onValue={set('name')} errors={change.errors} />
      <Input path={p('location')} label={t('cmLocation')} help={t('cmLocationHelp')} value={v.location} onValue={set('location')} errors={change.errors} />
      <Select path={p('profile')} label={t('cmProfile')} value={v.profile} onValue={set('profile')} errors={change.errors} options={options} />
      <div class="cm-row">
        <Select path={p('line')} label={t('cmLine')} value={v.line} onValue={set('line')} errors={change.errors}
                options={[['rs485', t('cmOurRs485')], ...gateways.map((g) => [g.id, g.name || g.id])]} />
        <Input path={p('address')} label={t('cmAddress')} value={v.address} onValue={set('address')} errors={change.errors} type="number" inputMode="numeric" min="1" max="247" />
      </div>
      <Input path={p('id')} label={t('cmId')} help={t('cmIdHelp')} value={v.id} onValue={set('id')} errors={change.errors} readOnly={!adding} />
      <div class="actions">
        <button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button>
        <button type="button" class="button" onClick={onCancel}>{t('cmClose')}</button>
      </div>
      {change.panel(['id', 'name', 'location', 'profile', 'address', 'line'].map(p))}
    </form>
  );
}

// --------------------------------------------------------------- the configured devices

function DeviceItem({ device, live, profileName, onEdit, onRemoved }) {
  const [step, setStep] = useState('idle');
  const [answer, setAnswer] = useState(null);
  const remove = async () => {
    setStep('busy');
    try {
      await apiDelete(`/api/v1/devices/${encodeURIComponent(device.id)}`);
      setStep('idle');
      onRemoved(t('cmRemoved', { name: device.name }));
    } catch (e) {
      setAnswer(t('serverError', { message: e.message }));
      setStep('idle');
    }
  };
  return (
    <li class="card cm-device" data-device={device.id}>
      <div class="device-title"><h3>{device.name}</h3>{live ? <StatusBadge device={live} /> : null}</div>
      <p class="facts">{t('cmDeviceFacts', { line: lineOf(device), address: device.address, profile: profileName })}
        {device.location ? ` · ${device.location}` : ''}</p>
      {step === 'idle' ? (
        <div class="actions">
          <button type="button" class="button" onClick={onEdit}>{t('cmEdit')}<span class="sr-only"> {device.name}</span></button>
          <button type="button" class="button" onClick={() => setStep('confirm')}>{t('cmRemove')}<span class="sr-only"> {device.name}</span></button>
        </div>
      ) : (
        <Confirm title={t('cmRemove')} question={t('cmRemoveConfirm', { name: device.name })} yes={t('cmRemoveYes')} danger
                 busy={step === 'busy'} onYes={remove} onNo={() => setStep('idle')} />
      )}
      {answer ? <p class="error-text" role="alert">{answer}</p> : null}
    </li>
  );
}

export function DevicesStep() {
  const section = useSection('devices', 'modbus_devices');
  const gateways = useSection('ip-gateways', 'ip_gateways');
  const profiles = useGet('/api/v1/profiles');
  const live = usePoll('/api/v1/devices', 5000);
  const [form, setForm] = useState(null); // {initial, index}
  const [message, setMessage] = useState(null);
  if (section.value === undefined) return <Loading error={section.error} />;
  const list = section.value;
  const profileList = profiles.data?.profiles || [];
  const gws = gateways.value || [];
  const nameOf = (id) => profileList.find((x) => x.id === id)?.name || id;
  const done = (text) => { setForm(null); setMessage(text); section.reload(); };
  const openForm = (initial, index) => { setMessage(null); setForm({ initial, index }); };
  const byAddress = () => {
    const used = list.filter((d) => lineOf(d) === 'rs485').map((d) => d.address);
    let address = 1;
    while (used.includes(address)) address += 1;
    openForm({ id: idFor('device', address), name: '', location: '', profile: '', address: String(address), line: 'rs485' }, list.length);
  };
  return (
    <>
      <Scan gateways={gws} configured={list} onPick={(initial) => openForm(initial, list.length)} />
      {form ? (
        <DeviceForm key={`${form.index}-${form.initial.id}`} initial={form.initial} index={form.index} all={list}
                    profiles={profileList} gateways={gws}
                    onDone={(name) => done(t('cmDeviceSaved', { name }))}
                    onCancel={() => setForm(null)} />
      ) : null}
      <section class="card" aria-labelledby="cm-devices">
        <h2 id="cm-devices">{t('cmConfiguredDevices', { n: list.length })}</h2>
        {message ? <p class="notice" role="status">{message}</p> : null}
        {list.length ? null : <p>{t('noDevices')}</p>}
        <ul class="cards">
          {list.map((d, i) => (
            <DeviceItem key={d.id} device={d} profileName={nameOf(d.profile)}
                        live={live.data?.devices?.find((x) => x.id === d.id)}
                        onEdit={() => openForm({ ...d, address: String(d.address), line: lineOf(d), poll_interval_s: String(d.poll_interval_s ?? 0) }, i)}
                        onRemoved={done} />
          ))}
        </ul>
        <div class="actions"><button type="button" class="button" onClick={byAddress}>{t('cmAddByAddress')}</button></div>
      </section>
    </>
  );
}
