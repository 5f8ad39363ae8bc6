// greenUp's home: the EV charging stations, their state in words, power, session energy and
// current limit, pushed live (each shown station polled every 2 s), with start/stop and the limit.
// From GET /api/v1/ev/chargers (greenUp may not read the other devices) and the live WebSocket.
import { apiGet } from '../api.js';
import { ChargerControls } from '../controls.jsx';
import { t } from '../i18n.js';
import { useLiveDevices, useWatch } from '../live.js';
import { DeviceFacts, Page, StatusBadge, ValueList } from './devices.jsx';

// The quantities a charging operator looks at first, in this order; the others follow.
// (The charge point's state is said in words above them.)
const MAIN = ['p_total', 'session_energy', 'current_limit', 'ea_import'];
const NAME_KEY = { p_total: 'evQPower', session_energy: 'evQSession',
  current_limit: 'evQLimit', ea_import: 'evQEnergy' };
const EV_STATES = ['available', 'preparing', 'charging', 'suspended_evse', 'suspended_ev', 'finishing',
  'reserved', 'unavailable', 'faulted'];

// The EV API's station as GET /api/v1/devices writes a device (values as a list).
function asDevice(c) {
  const values = Object.entries(c.values || {}).map(([quantity, v]) => ({ quantity, value: v.value, unit: v.unit }));
  return { ...c, state: c.problem || (c.online ? 'ok' : 'not polled yet'), values };
}

const loadChargers = async () => ({ devices: (await apiGet('/api/v1/ev/chargers')).chargers.map(asDevice) });

function shown(values) {
  const named = values.filter((v) => v.quantity !== 'state').map((v) => ({ ...v, name: NAME_KEY[v.quantity] ? t(NAME_KEY[v.quantity]) : v.name || v.quantity }));
  return [...MAIN.map((q) => named.find((v) => v.quantity === q)).filter(Boolean),
    ...named.filter((v) => !MAIN.includes(v.quantity))];
}

function ChargerCard({ charger }) {
  const state = charger.values.find((v) => v.quantity === 'state')?.value;
  const words = EV_STATES[state];
  return (
    <li class="card device charger" data-device={charger.id}>
      <h2 class="device-title">{charger.name} <StatusBadge device={charger} /></h2>
      {words ? <p class={`ev-state ev-${words}`} data-ev-state={words}>{t(`ev_${words}`)}</p> : null}
      <DeviceFacts device={charger} />
      <ValueList values={shown(charger.values)} limit={4} />
      <ChargerControls charger={charger} />
    </li>
  );
}

export function ChargersPage() {
  const { data, error, updatedAt } = useLiveDevices(loadChargers);
  useWatch(data ? data.devices.map((d) => d.id) : []);
  const chargers = data ? data.devices : [];
  return (
    <Page title={t('chargersTitle')} updatedAt={updatedAt} live>
      {!data ? <p class={error ? 'error-text' : ''}>{error ? error.message : t('loading')}</p> : null}
      {data && chargers.length === 0 ? <p>{t('noChargers')}</p> : null}
      <ul class="cards">
        {chargers.map((c) => <ChargerCard key={c.id} charger={c} />)}
      </ul>
    </Page>
  );
}
