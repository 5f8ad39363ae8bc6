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

refresh();
setInterval(refresh, 5000);
