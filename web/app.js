'use strict';
// Status panel: polls the health endpoint of the device.
function formatUptime(seconds) {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600),
        m = Math.floor(seconds % 3600 / 60);
  return (d ? d + ' d ' : '') + h + ' h ' + m + ' min';
}

async function refresh() {
  const error = document.getElementById('error');
  try {
    const response = await fetch('/api/v1/health', {cache: 'no-store'});
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const health = await response.json();
    document.getElementById('version').textContent = health.version;
    document.getElementById('model').textContent = 'EWS ' + health.model_size;
    document.getElementById('uptime').textContent = formatUptime(health.uptime_s);
    document.getElementById('time').textContent = health.time;
    document.getElementById('site').textContent = health.site;
    error.hidden = true;
  } catch (e) {
    error.textContent = 'Device not reachable: ' + e.message;
    error.hidden = false;
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatValue(value) {
  return Math.abs(value) >= 1000 || Number.isInteger(value)
      ? value.toLocaleString() : value.toLocaleString(undefined, {maximumFractionDigits: 3});
}

// Devices panel: state and latest values of every configured device.
async function refreshDevices() {
  const container = document.getElementById('devices');
  try {
    const response = await fetch('/api/v1/devices', {cache: 'no-store'});
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    document.getElementById('lines').textContent = data.lines.map(
        l => l.name + ': ' + (l.available ? 'available' : 'unavailable (' + l.problem + ')')).join(' · ');
    container.replaceChildren();
    if (data.devices.length === 0) {
      container.append(element('p', '', 'No device configured yet.'));
    }
    for (const device of data.devices) {
      const block = element('div', 'device');
      const title = element('h3', '', device.name);
      title.title = device.id + ' · ' + device.profile + ' · line ' + device.line;
      title.append(element('span', 'badge ' + (device.online ? 'online' : 'offline'),
                           device.online ? 'online' : 'offline'));
      if (!device.online) {
        title.append(element('small', '', device.problem ? device.state + ': ' + device.problem
                                                         : device.state));
      }
      block.append(title);
      const values = element('div', 'values');
      for (const v of device.values) {
        const cell = element('div');
        cell.title = v.quantity;
        cell.append(element('span', 'q', v.name + ' '),
                    // null: the device sent no number (NaN, infinity); its state says which.
                    element('span', '', v.value === null ? '— (' + v.state + ')'
                                        : formatValue(v.value) + (v.unit ? ' ' + v.unit : '')));
        values.append(cell);
      }
      block.append(values);
      container.append(block);
    }
  } catch (e) {
    container.replaceChildren(element('p', '', 'Devices not available: ' + e.message));
  }
}

// Front panel: a LED shows lit when it is on, or when it blinked since the last look (a
// 50 ms traffic blink would mostly fall between two polls).
const lastBlinks = {};
async function refreshLeds() {
  try {
    const response = await fetch('/api/v1/leds', {cache: 'no-store'});
    if (!response.ok) return;
    const panel = await response.json();
    const strip = document.getElementById('leds');
    strip.replaceChildren();
    strip.title = panel.hardware === 'simulated' ? 'simulated LEDs' : 'board LEDs';
    for (const led of panel.leds) {
      const blinked = led.blinks !== undefined && lastBlinks[led.name] !== undefined &&
                      led.blinks !== lastBlinks[led.name];
      lastBlinks[led.name] = led.blinks;
      const lit = led.on || blinked;
      const amber = ['rx', 'tx', 'act'].includes(led.name);
      const item = element('span', 'led' + (lit ? ' on' : '') + (amber ? ' amber' : ''));
      item.append(element('i'), element('span', '', led.name.toUpperCase()));
      strip.append(item);
    }
  } catch (e) { /* the status panel reports an unreachable device */ }
}

refresh();
refreshDevices();
refreshLeds();
setInterval(refreshLeds, 700);
setInterval(refresh, 5000);
setInterval(refreshDevices, 5000);
