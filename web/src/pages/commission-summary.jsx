// Commissioning, the printable summary: settings, every device with its line, address, profile,
// state and first readings, the pulse counters. Read from the configuration and live APIs.
import { t, formatDateTime, formatQuantity } from '../i18n.js';
import { Loading, useGet, useSection } from './config_kit.jsx';
import { kindName, unitName } from './commission-pulse.jsx';

const PARITY = { PARITY_NONE: 'N', PARITY_EVEN: 'E', PARITY_ODD: 'O' };

function Rows({ rows }) {
  return (
    <dl class="rows">
      {rows.map(([k, v]) => <div class="row" key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
    </dl>
  );
}

export function SummaryStep() {
  const site = useSection('site', 'site');
  const network = useSection('network', 'network');
  const rs485 = useSection('rs485', 'rs485');
  const gateway = useSection('modbus-gateway', 'modbus_tcp_server');
  const ipGateways = useSection('ip-gateways', 'ip_gateways');
  const pulse = useSection('pulse-counters', 'pulse_counters');
  const devices = useSection('devices', 'modbus_devices');
  const live = useGet('/api/v1/devices');
  const health = useGet('/api/v1/health');
  const parts = [site, network, rs485, gateway, ipGateways, pulse, devices];
  const failed = parts.find((p) => p.error) || live.error;
  if (parts.some((p) => p.value === undefined) || !live.data) return <Loading error={failed} />;
  const n = network.value;
  const r = rs485.value;
  const g = gateway.value;
  const liveOf = (id) => live.data.devices.find((d) => d.id === id);
  return (
    <div class="cm-summary">
      <p class="facts">{t('cmSummaryAt', { time: formatDateTime(new Date()), version: health.data?.version ?? '' })}</p>
      <div class="actions"><button type="button" class="button primary" onClick={() => window.print()}>{t('cmPrint')}</button></div>
      <section class="card" aria-labelledby="cm-s-settings">
        <h2 id="cm-s-settings">{t('cmSettings')}</h2>
        <Rows rows={[
          [t('cmSiteName'), site.value.name],
          [t('cmModel'), health.data ? String(health.data.model_size) : '—'],
          [t('cmHostname'), n.hostname],
          [t('cmAddressing'), n.dhcp ? t('cmDhcp') : `${n.static_ipv4?.address} / ${n.static_ipv4?.netmask} → ${n.static_ipv4?.gateway || '—'}`],
          [t('cmDns'), (n.dns_servers || []).join(', ') || '—'],
          [t('cmNtp'), (n.ntp_servers || []).join(', ') || '—'],
          [t('cmTimeZone'), n.time_zone],
          [t('cmRs485'), `${r.baud_rate} 8${PARITY[r.parity] || '?'}${r.stop_bits === 'STOP_BITS_TWO' ? 2 : 1}, ${t('cmTimeoutShort', { ms: r.response_timeout_ms })}, ${r.device}`],
          [t('cmModbusGateway'), g.enabled ? t('cmGatewayOnPort', { port: g.port, clients: (g.allowed_clients || []).join(', ') || t('cmAnyClient') }) : t('cmOff')],
          [t('cmIpGateways'), ipGateways.value.map((x) => `${x.name || x.id} (${x.host}:${x.port})`).join(', ') || '—'],
        ]} />
      </section>
      <section class="card" aria-labelledby="cm-s-devices">
        <h2 id="cm-s-devices">{t('cmConfiguredDevices', { n: devices.value.length })}</h2>
        <ul class="cards">
          {devices.value.map((d) => {
            const l = liveOf(d.id);
            return (
              <li key={d.id} class="card" data-device={d.id}>
                <h3>{d.name}</h3>
                <Rows rows={[
                  [t('cmLine'), d.ip_gateway ? d.ip_gateway.gateway_id : 'rs485'],
                  [t('cmAddress'), String(d.address)],
                  [t('cmProfile'), d.profile],
                  [t('cmLocation'), d.location || '—'],
                  [t('cmState'), l ? (l.online ? t('stateOnline') : l.state || '—') : '—'],
                  [t('cmFirstReadings'), l?.values?.length
                    ? l.values.slice(0, 3).map((v) => `${v.name} ${formatQuantity(v.value, v.unit)}`).join(' · ') : '—'],
                ]} />
              </li>
            );
          })}
        </ul>
      </section>
      <section class="card" aria-labelledby="cm-s-pulse">
        <h2 id="cm-s-pulse">{t('cmPulse')}</h2>
        {pulse.value.length ? (
          <ul class="cards">
            {pulse.value.map((c) => {
              const l = liveOf(c.id);
              return (
                <li key={c.id} class="card" data-counter={c.id}>
                  <h3>{c.name}</h3>
                  <Rows rows={[
                    [t('cmInput'), String(c.input)],
                    [t('cmKind'), kindName(c.kind)],
                    [t('cmPerPulse'), `${c.quantity_per_pulse} ${unitName(c.unit)}`],
                    [t('cmStartIndex', { unit: unitName(c.unit) }), String(c.starting_index ?? 0)],
                    [t('cmFirstReadings'), l ? formatQuantity(l.index, l.unit) : t('cmNoReadingYet')],
                  ]} />
                </li>
              );
            })}
          </ul>
        ) : <p>{t('cmNoPulse')}</p>}
      </section>
    </div>
  );
}
