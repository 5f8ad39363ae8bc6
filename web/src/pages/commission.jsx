// Commissioning, the path an installer walks (/work/shared/UI.md): one guided flow, resumable
// (the last step visited and the steps done are kept in the browser), each step a page of its own:
// site and network, RS485 line, IP gateways and the Modbus TCP gateway, devices (scan, add, name,
// place, edit, remove), pulse counters, and a printable summary. Everything goes through the
// configuration API (docs/api.md): validate first (messages beside the fields), confirm the listed
// changes, apply, and the device's answer in words.
import { useEffect, useState } from 'preact/hooks';
import { session } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { useSignal } from '../signal.js';
import { Page } from './devices.jsx';
import {
  Check, Input, Loading, Select, listOf, num, useGet, useSection, useConfigChange,
} from './config_kit.jsx';
import { DevicesStep } from './commission-devices.jsx';
import { PulseStep } from './commission-pulse.jsx';
import { SummaryStep } from './commission-summary.jsx';

export const STEPS = [
  ['network', 'cmStepNetwork'],
  ['rs485', 'cmStepRs485'],
  ['gateways', 'cmStepGateways'],
  ['devices', 'cmStepDevices'],
  ['pulse', 'cmStepPulse'],
  ['summary', 'cmStepSummary'],
];
const STORE = 'ews.commissioning';

function progress() {
  try { return JSON.parse(localStorage.getItem(STORE)) || { last: 'network', done: [] }; } catch (e) {
    return { last: 'network', done: [] };
  }
}
function remember(update) {
  try { localStorage.setItem(STORE, JSON.stringify({ ...progress(), ...update })); } catch (e) { /* storage off */ }
}

function Stepper({ current }) {
  const { done } = progress();
  return (
    <nav aria-label={t('cmSteps')} class="cm-steps">
      <ol>
        {STEPS.map(([id, key], i) => (
          <li key={id}>
            <a href={`#/commission/${id}`} aria-current={id === current ? 'step' : undefined}
               class={done.includes(id) ? 'done' : ''}>
              <span class="cm-num" aria-hidden="true">{done.includes(id) ? '✓' : i + 1}</span>
              <span>{t(key)}</span>
              {done.includes(id) ? <span class="sr-only"> ({t('cmDone')})</span> : null}
            </a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

function NextStep({ current }) {
  const index = STEPS.findIndex(([id]) => id === current);
  const next = STEPS[index + 1];
  const finish = () => {
    remember({ done: [...new Set([...progress().done, current])], last: next ? next[0] : current });
    location.hash = next ? `#/commission/${next[0]}` : '#/devices';
  };
  return (
    <div class="actions cm-next">
      <button type="button" class="button primary" onClick={finish}>
        {next ? t('cmNext', { step: t(next[1]) }) : t('cmFinish')}
      </button>
    </div>
  );
}

// ------------------------------------------------------------------ site and network

function SiteCard() {
  const site = useSection('site', 'site');
  const [name, setName] = useState(null);
  const change = useConfigChange('site', { confirm: true, onApplied: () => site.reload() });
  if (site.value === undefined) return <Loading error={site.error} />;
  const value = name ?? site.value.name;
  const submit = (e) => { e.preventDefault(); change.submit({ site: { ...site.value, name: value } }); };
  return (
    <form class="card form" noValidate onSubmit={submit} aria-labelledby="cm-site">
      <h2 id="cm-site">{t('cmSite')}</h2>
      <Input path="site.name" label={t('cmSiteName')} value={value} onValue={setName} errors={change.errors} />
      <div class="actions"><button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button></div>
      {change.panel(['site.name'])}
    </form>
  );
}

const NETWORK_FIELDS = ['network.hostname', 'network.static_ipv4.address', 'network.static_ipv4.netmask',
  'network.static_ipv4.gateway', 'network.dns_servers', 'network.ntp_servers', 'network.time_zone'];

function NetworkCard() {
  const network = useSection('network', 'network');
  const [edit, setEdit] = useState(null);
  const change = useConfigChange('network', { confirm: true, onApplied: () => { setEdit(null); network.reload(); } });
  if (network.value === undefined) return <Loading error={network.error} />;
  const n = network.value;
  const v = edit ?? {
    hostname: n.hostname, dhcp: !!n.dhcp, address: n.static_ipv4?.address ?? '',
    netmask: n.static_ipv4?.netmask ?? '', gateway: n.static_ipv4?.gateway ?? '',
    dns: (n.dns_servers || []).join(', '), ntp: (n.ntp_servers || []).join(', '), zone: n.time_zone,
  };
  const set = (k) => (x) => setEdit({ ...v, [k]: x });
  const submit = (e) => {
    e.preventDefault();
    const body = { hostname: v.hostname, dns_servers: listOf(v.dns), ntp_servers: listOf(v.ntp), time_zone: v.zone };
    if (v.dhcp) body.dhcp = {};
    else body.static_ipv4 = { address: v.address, netmask: v.netmask, gateway: v.gateway };
    change.submit({ network: body });
  };
  return (
    <form class="card form" noValidate onSubmit={submit} aria-labelledby="cm-network">
      <h2 id="cm-network">{t('cmNetwork')}</h2>
      <p class="help">{t('cmNetworkHelp')}</p>
      <Input path="network.hostname" label={t('cmHostname')} value={v.hostname} onValue={set('hostname')} errors={change.errors} />
      <fieldset class="roles">
        <legend>{t('cmAddressing')}</legend>
        <label class="choice"><input type="radio" name="ipv4" checked={!v.dhcp} onChange={() => set('dhcp')(false)} /><span>{t('cmStatic')}</span></label>
        <label class="choice"><input type="radio" name="ipv4" checked={v.dhcp} onChange={() => set('dhcp')(true)} /><span>{t('cmDhcp')}</span></label>
      </fieldset>
      {v.dhcp ? null : (
        <>
          <Input path="network.static_ipv4.address" label={t('cmIp')} value={v.address} onValue={set('address')} errors={change.errors} inputMode="decimal" />
          <Input path="network.static_ipv4.netmask" label={t('cmMask')} value={v.netmask} onValue={set('netmask')} errors={change.errors} inputMode="decimal" />
          <Input path="network.static_ipv4.gateway" label={t('cmGateway')} value={v.gateway} onValue={set('gateway')} errors={change.errors} inputMode="decimal" />
        </>
      )}
      <Input path="network.dns_servers" label={t('cmDns')} help={t('cmListHelp')} value={v.dns} onValue={set('dns')} errors={change.errors} />
      <Input path="network.ntp_servers" label={t('cmNtp')} help={t('cmListHelp')} value={v.ntp} onValue={set('ntp')} errors={change.errors} />
      <Input path="network.time_zone" label={t('cmTimeZone')} value={v.zone} onValue={set('zone')} errors={change.errors} />
      <div class="actions"><button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button></div>
      {change.panel(NETWORK_FIELDS)}
    </form>
  );
}

// The clock (set by NTP or by the administrator by hand): its state, so that the installer sees a
// dead RTC battery before leaving the cabinet.
function TimeCard() {
  const time = useGet('/api/v1/system/time');
  const d = time.data;
  return (
    <section class="card" aria-labelledby="cm-time">
      <h2 id="cm-time">{t('cmTime')}</h2>
      {!d ? <Loading error={time.error} /> : (
        <>
          <p>{t('cmTimeNow', { time: formatDateTime(d.time), zone: d.time_zone, source: d.source || '—' })}</p>
          {!d.valid ? <p class="error-text">{t('cmTimeInvalid')}</p> : null}
          {d.rtc?.battery_warning ? <p class="error-text">{t('cmRtcBattery')}</p> : null}
          <p class="help">{t('cmTimeHelp')}</p>
        </>
      )}
    </section>
  );
}

// ------------------------------------------------------------------ RS485 line and model

const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const RS485_FIELDS = ['rs485.device', 'rs485.baud_rate', 'rs485.parity', 'rs485.stop_bits',
  'rs485.response_timeout_ms', 'rs485.inter_frame_delay_ms', 'rs485.retries'];

function Rs485Card() {
  const rs485 = useSection('rs485', 'rs485');
  const [edit, setEdit] = useState(null);
  const change = useConfigChange('rs485', { confirm: true, onApplied: () => { setEdit(null); rs485.reload(); } });
  if (rs485.value === undefined) return <Loading error={rs485.error} />;
  const v = edit ?? Object.fromEntries(Object.entries(rs485.value).map(([k, x]) => [k, String(x)]));
  const set = (k) => (x) => setEdit({ ...v, [k]: x });
  const submit = (e) => {
    e.preventDefault();
    change.submit({ rs485: {
      ...rs485.value, device: v.device, baud_rate: num(v.baud_rate), parity: v.parity, stop_bits: v.stop_bits,
      response_timeout_ms: num(v.response_timeout_ms), inter_frame_delay_ms: num(v.inter_frame_delay_ms),
      retries: num(v.retries),
    } });
  };
  const numeric = { type: 'number', inputMode: 'numeric', min: 0 };
  return (
    <form class="card form" noValidate onSubmit={submit} aria-labelledby="cm-rs485">
      <h2 id="cm-rs485">{t('cmRs485')}</h2>
      <p class="help">{t('cmRs485Help')}</p>
      <Select path="rs485.baud_rate" label={t('cmBaud')} value={v.baud_rate} onValue={set('baud_rate')} errors={change.errors}
              options={(BAUDS.includes(Number(v.baud_rate)) ? BAUDS : [Number(v.baud_rate), ...BAUDS]).map((b) => [String(b), `${b} bit/s`])} />
      <Select path="rs485.parity" label={t('cmParity')} value={v.parity} onValue={set('parity')} errors={change.errors}
              options={[['PARITY_EVEN', t('cmParityEven')], ['PARITY_NONE', t('cmParityNone')], ['PARITY_ODD', t('cmParityOdd')]]} />
      <Select path="rs485.stop_bits" label={t('cmStopBits')} value={v.stop_bits} onValue={set('stop_bits')} errors={change.errors}
              options={[['STOP_BITS_ONE', '1'], ['STOP_BITS_TWO', '2']]} />
      <Input path="rs485.response_timeout_ms" label={t('cmTimeout')} help={t('cmTimeoutHelp')} value={v.response_timeout_ms}
             onValue={set('response_timeout_ms')} errors={change.errors} {...numeric} />
      <Input path="rs485.retries" label={t('cmRetries')} value={v.retries} onValue={set('retries')} errors={change.errors} {...numeric} />
      <Input path="rs485.inter_frame_delay_ms" label={t('cmFrameDelay')} help={t('cmFrameDelayHelp')} value={v.inter_frame_delay_ms}
             onValue={set('inter_frame_delay_ms')} errors={change.errors} {...numeric} />
      <Input path="rs485.device" label={t('cmSerialDevice')} value={v.device} onValue={set('device')} errors={change.errors} />
      <div class="actions"><button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button></div>
      {change.panel(RS485_FIELDS)}
    </form>
  );
}

// The model size (10 or 32 addresses / pulse counters) is the administrator's (configure_system);
// the installer sees it.
function ModelCard() {
  const role = useSignal(session).role;
  const health = useGet('/api/v1/health');
  const change = useConfigChange('model', { confirm: true, onApplied: () => health.reload() });
  const [size, setSize] = useState(null);
  const current = health.data ? `MODEL_${health.data.model_size}` : '';
  return (
    <form class="card form" noValidate aria-labelledby="cm-model"
          onSubmit={(e) => { e.preventDefault(); change.submit({ model_size: size ?? current }); }}>
      <h2 id="cm-model">{t('cmModel')}</h2>
      {role === 'administrator' ? (
        <>
          <Select path="model_size" label={t('cmModelSize')} value={size ?? current} onValue={setSize} errors={change.errors}
                  options={[['MODEL_10', '10'], ['MODEL_32', '32']]} />
          <div class="actions"><button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button></div>
          {change.panel(['model_size'])}
        </>
      ) : <p>{health.data ? t('cmModelFixed', { size: health.data.model_size }) : t('loading')}</p>}
    </form>
  );
}

// ------------------------------------------------------------------ IP gateways, Modbus TCP gateway

const PROTOCOLS = [['GATEWAY_PROTOCOL_MODBUS_TCP', 'Modbus TCP'], ['GATEWAY_PROTOCOL_RTU_OVER_TCP', 'RTU over TCP']];

function IpGatewaysCard({ onChanged }) {
  const section = useSection('ip-gateways', 'ip_gateways');
  const [edit, setEdit] = useState(null);
  const change = useConfigChange('ip-gateways', { confirm: true, onApplied: () => { setEdit(null); section.reload(); onChanged?.(); } });
  if (section.value === undefined) return <Loading error={section.error} />;
  const list = edit ?? section.value.map((g) => ({ ...g, port: String(g.port), response_timeout_ms: String(g.response_timeout_ms) }));
  const setAt = (i, k) => (x) => setEdit(list.map((g, j) => (j === i ? { ...g, [k]: x } : g)));
  const add = () => setEdit([...list, { id: `gw${list.length + 1}`, name: '', host: '', port: '502',
    protocol: 'GATEWAY_PROTOCOL_MODBUS_TCP', response_timeout_ms: '1000' }]);
  const remove = (i) => setEdit(list.filter((_, j) => j !== i));
  const submit = (e) => {
    e.preventDefault();
    change.submit({ ip_gateways: list.map((g) => ({ ...g, port: num(g.port), response_timeout_ms: num(g.response_timeout_ms) })) });
  };
  const paths = list.flatMap((_, i) => ['id', 'name', 'host', 'port', 'protocol', 'response_timeout_ms'].map((k) => `ip_gateways[${i}].${k}`));
  return (
    <form class="card form wide" noValidate onSubmit={submit} aria-labelledby="cm-ipgw">
      <h2 id="cm-ipgw">{t('cmIpGateways')}</h2>
      <p class="help">{t('cmIpGatewaysHelp')}</p>
      {list.length ? null : <p>{t('cmNoIpGateways')}</p>}
      <ul class="cards">
        {list.map((g, i) => (
          <li key={i} class="card cm-item">
            <Input path={`ip_gateways[${i}].id`} label={t('cmId')} value={g.id} onValue={setAt(i, 'id')} errors={change.errors} />
            <Input path={`ip_gateways[${i}].name`} label={t('cmName')} value={g.name} onValue={setAt(i, 'name')} errors={change.errors} />
            <Input path={`ip_gateways[${i}].host`} label={t('cmHost')} value={g.host} onValue={setAt(i, 'host')} errors={change.errors} />
            <Input path={`ip_gateways[${i}].port`} label={t('cmPort')} value={g.port} onValue={setAt(i, 'port')} errors={change.errors} type="number" inputMode="numeric" />
            <Select path={`ip_gateways[${i}].protocol`} label={t('cmProtocol')} value={g.protocol} onValue={setAt(i, 'protocol')} errors={change.errors} options={PROTOCOLS} />
            <Input path={`ip_gateways[${i}].response_timeout_ms`} label={t('cmTimeout')} value={g.response_timeout_ms} onValue={setAt(i, 'response_timeout_ms')} errors={change.errors} type="number" inputMode="numeric" />
            <button type="button" class="button" onClick={() => remove(i)}>{t('cmRemoveItem', { name: g.name || g.id })}</button>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="button" onClick={add}>{t('cmAddIpGateway')}</button>
        <button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button>
      </div>
      {change.panel(paths)}
    </form>
  );
}

function ModbusGatewayCard({ gateways }) {
  const section = useSection('modbus-gateway', 'modbus_tcp_server');
  const [edit, setEdit] = useState(null);
  const change = useConfigChange('modbus-gateway', { confirm: true, onApplied: () => { setEdit(null); section.reload(); } });
  if (section.value === undefined) return <Loading error={section.error} />;
  const s = section.value;
  const v = edit ?? {
    enabled: s.enabled, port: String(s.port), allowed: (s.allowed_clients || []).join(', '),
    routes: (s.routes || []).map((r) => ({ ...r, first_unit: String(r.first_unit), last_unit: String(r.last_unit),
      target: r.ip_gateway ? r.ip_gateway.gateway_id : 'rs485' })),
  };
  const set = (k) => (x) => setEdit({ ...v, [k]: x });
  const setRoute = (i, k) => (x) => set('routes')(v.routes.map((r, j) => (j === i ? { ...r, [k]: x } : r)));
  const addRoute = () => set('routes')([...v.routes, { first_unit: '1', last_unit: '247', unit_shift: 0, target: 'rs485', read_only: true }]);
  const submit = (e) => {
    e.preventDefault();
    const routes = v.routes.map(({ target, rs485, ip_gateway: _gw, ...r }) => ({
      ...r, first_unit: num(r.first_unit), last_unit: num(r.last_unit),
      ...(target === 'rs485' ? { rs485: {} } : { ip_gateway: { gateway_id: target } }),
    }));
    change.submit({ modbus_tcp_server: { ...s, enabled: v.enabled, port: num(v.port), allowed_clients: listOf(v.allowed), routes } });
  };
  const targets = [['rs485', t('cmOurRs485')], ...(gateways || []).map((g) => [g.id, g.name || g.id])];
  const paths = ['modbus_tcp_server.port', 'modbus_tcp_server.allowed_clients',
    ...v.routes.flatMap((_, i) => ['first_unit', 'last_unit'].map((k) => `modbus_tcp_server.routes[${i}].${k}`))];
  return (
    <form class="card form wide" noValidate onSubmit={submit} aria-labelledby="cm-mbgw">
      <h2 id="cm-mbgw">{t('cmModbusGateway')}</h2>
      <p class="help">{t('cmModbusGatewayHelp')}</p>
      <Check path="modbus_tcp_server.enabled" label={t('cmGatewayOn')} checked={v.enabled} onValue={set('enabled')} />
      <Input path="modbus_tcp_server.port" label={t('cmPort')} value={v.port} onValue={set('port')} errors={change.errors} type="number" inputMode="numeric" />
      <Input path="modbus_tcp_server.allowed_clients" label={t('cmAllowList')} help={t('cmAllowListHelp')} value={v.allowed} onValue={set('allowed')} errors={change.errors} />
      <h3>{t('cmRoutes')}</h3>
      <p class="help">{t('cmRoutesHelp')}</p>
      <ul class="cards">
        {v.routes.map((r, i) => (
          <li key={i} class="card cm-item">
            <Input path={`modbus_tcp_server.routes[${i}].first_unit`} label={t('cmFirstUnit')} value={r.first_unit} onValue={setRoute(i, 'first_unit')} errors={change.errors} type="number" inputMode="numeric" />
            <Input path={`modbus_tcp_server.routes[${i}].last_unit`} label={t('cmLastUnit')} value={r.last_unit} onValue={setRoute(i, 'last_unit')} errors={change.errors} type="number" inputMode="numeric" />
            <Select path={`modbus_tcp_server.routes[${i}].target`} label={t('cmTarget')} value={r.target} onValue={setRoute(i, 'target')} errors={change.errors} options={targets} />
            <Check path={`modbus_tcp_server.routes[${i}].read_only`} label={t('cmReadOnly')} checked={r.read_only} onValue={setRoute(i, 'read_only')} />
            <button type="button" class="button" onClick={() => set('routes')(v.routes.filter((_, j) => j !== i))}>
              {t('cmRemoveRoute', { first: r.first_unit, last: r.last_unit })}
            </button>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="button" onClick={addRoute}>{t('cmAddRoute')}</button>
        <button class="button primary" disabled={change.busy}>{t('cmCheckSave')}</button>
      </div>
      {change.panel(paths)}
    </form>
  );
}

function GatewaysStep() {
  const gateways = useSection('ip-gateways', 'ip_gateways');
  return (
    <>
      <IpGatewaysCard onChanged={gateways.reload} />
      <ModbusGatewayCard gateways={gateways.value} />
    </>
  );
}

// ------------------------------------------------------------------ the flow

export function CommissionPage({ step }) {
  const current = STEPS.some(([id]) => id === step) ? step : progress().last;
  useEffect(() => { window.scrollTo(0, 0); }, [current]); // a new step starts at its top
  if (step !== current) {
    location.replace(`#/commission/${current}`);
    return null;
  }
  remember({ last: current });
  const [, key] = STEPS.find(([id]) => id === current);
  let body;
  if (current === 'network') body = <><SiteCard /><NetworkCard /><TimeCard /></>;
  else if (current === 'rs485') body = <><Rs485Card /><ModelCard /></>;
  else if (current === 'gateways') body = <GatewaysStep />;
  else if (current === 'devices') body = <DevicesStep />;
  else if (current === 'pulse') body = <PulseStep />;
  else body = <SummaryStep />;
  return (
    <Page title={`${t('cmTitle')}: ${t(key)}`}>
      <Stepper current={current} />
      <div class="cm-body" data-step={current}>{body}</div>
      <NextStep current={current} />
    </Page>
  );
}
