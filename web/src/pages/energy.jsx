// The user's home (consumption), from today's devices API.
import { usePoll } from '../api.js';
import { formatQuantity, t } from '../i18n.js';
import { Lazy } from '../lazy.jsx';
import { Page, StatusBadge, ValueList } from './devices.jsx';

const KIND_KEY = { energy: 'kindElectricity', water: 'kindWater', gas: 'kindGas', other: 'kindOther' };

// A meter's index: the pulse counter's index, or a Modbus meter's imported active energy.
function meterReading(device) {
  if (device.line === 'pulse') {
    return { kind: device.kind || 'other', value: device.index, unit: device.unit };
  }
  const energy = device.values.find((v) => v.quantity === 'ea_import');
  return energy ? { kind: 'energy', value: energy.value, unit: energy.unit, unconfirmed: energy.unconfirmed } : null;
}

function toKwh(value, unit) {
  return unit === 'Wh' ? value / 1000 : unit === 'kWh' ? value : unit === 'MWh' ? value * 1000 : null;
}

export function EnergyPage() {
  const { data, error, updatedAt } = usePoll('/api/v1/devices', 5000);
  const meters = data ? data.devices.map((d) => ({ device: d, reading: meterReading(d) })).filter((m) => m.reading) : [];
  const total = meters.reduce((sum, m) => {
    const kwh = m.reading.kind === 'energy' ? toKwh(m.reading.value, m.reading.unit) : null;
    return kwh === null ? sum : sum + kwh;
  }, 0);
  return (
    <Page title={t('energyTitle')} updatedAt={updatedAt}>
      <p class="note">{t('energyIntro')}</p>
      {!data ? <p class={error ? 'error-text' : ''}>{error ? error.message : t('loading')}</p> : null}
      {data ? <Lazy name="dashboard" devices={data.devices} /> : null}
      {data && meters.length ? <h2>{t('energyReadings')}</h2> : null}
      {data && meters.length === 0 ? <p>{t('noMeters')}</p> : null}
      {meters.length ? (
        <section class="card total">
          <h2>{t('energyTotal')}</h2>
          <p class="big number">{formatQuantity(total, 'kWh')}</p>
          <p class="note">{t('energyTotalNote')}
            {meters.some((m) => m.reading.kind === 'energy' && m.reading.unconfirmed) ? ` ${t('energyTotalUnconfirmed')}` : ''}</p>
        </section>
      ) : null}
      <ul class="cards">
        {meters.map(({ device, reading }) => (
          <li key={device.id} class="card device" data-device={device.id}>
            <h2 class="device-title">
              {device.name}
              <StatusBadge device={device} />
            </h2>
            <p class="facts">{t(KIND_KEY[reading.kind] || 'kindOther')}</p>
            <ValueList values={[{ quantity: 'reading', name: t(KIND_KEY[reading.kind] || 'kindOther'),
              value: reading.value, unit: reading.unit, unconfirmed: reading.unconfirmed }]} />
          </li>
        ))}
      </ul>
    </Page>
  );
}
