// The administrator's pages in the browser (called from browser_test.mjs with a page where the
// administrator is logged in): home with health and alarms, date and time (manual setting and NTP
// servers read back), certificate (the device CA downloaded and checked, a bad site certificate
// refused with the old one kept), backup and restore (a corrupt file refused), storage, tariffs,
// logs and restart; screenshots at 390 and 1280 px; a non-administrator refused pages and API.
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PAGES = ['time', 'certificate', 'backup', 'storage', 'site', 'maintenance'];

// Waits for `selector`'s text to match `pattern`; returns the last text seen.
async function textMatching(page, selector, pattern, timeout = 15000) {
  await page.waitForFunction(([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent || ''),
    [selector, pattern.source], { timeout }).catch(() => {});
  return (await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => '')) || '';
}

// Scrolls `selector` to the middle of the screen (for a screenshot of it).
const centre = (page, selector) => page.evaluate((sel) => document.querySelector(sel)?.scrollIntoView({ block: 'center' }), selector);

async function download(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

export async function adminPages({ page, context, url, check, go, axe, layout: checkLayout, shot, newPage, installerState }) {
  // The layout checks look at the header's LEDs too: from the top of the page.
  const layout = async (p, name) => { await p.evaluate(() => window.scrollTo(0, 0)); await checkLayout(p, name); };
  const open = async (sub, selector) => {
    await go(page, `${url}/#/system${sub ? `/${sub}` : ''}`);
    await page.waitForSelector(selector, { timeout: 15000 });
  };

  // Home: health at a glance, alarms (the lab's RTC has a dead battery), links to every page.
  await open('', '#glance-title');
  const glance = await page.locator('.rows').first().textContent();
  check('admin home: health at a glance (history, writes, disk, certificate expiry)',
    /History database/.test(glance) && /History writes/.test(glance) && /free of/.test(glance)
    && /Certificate valid until/.test(glance), glance.slice(0, 200));
  await page.waitForSelector('[data-alarm="battery"]', { timeout: 15000 }).catch(() => {});
  check('admin home: the dead clock battery is an alarm, with a link to the time page',
    await page.locator('[data-alarm="battery"] a[href="#/system/time"]').count() === 1);
  check('admin home: links to every administrator page',
    (await Promise.all(PAGES.map((p) => page.locator(`.sys-links a[href="#/system/${p}"]`).count()))).every((n) => n === 1));
  await layout(page, '390 px admin home');
  await axe(page, 'the administrator home page');
  await shot(page, 'system-390');
  // run.sh started the server on a corrupt history database: moved aside, reported until
  // acknowledged here.
  const corrupt = await page.locator('[data-alarm="history-corrupt"]').textContent({ timeout: 5000 }).catch(() => '');
  check('admin home: the corrupt history moved aside is an alarm, naming the file', /moved aside \(.*history.*\)/.test(corrupt), corrupt);
  await page.locator('[data-alarm="history-corrupt"]').getByRole('button', { name: 'Acknowledge' }).click();
  const gone = await page.waitForSelector('[data-alarm="history-corrupt"]', { state: 'detached', timeout: 15000 })
    .then(() => true, () => false);
  const health = await page.evaluate(() => fetch('/api/v1/health').then((r) => r.json()));
  check('…acknowledged, it goes away and health says the history is fine', gone && health.history === true
    && health.history_state.state === 'ok', JSON.stringify(health.history_state));

  // Date and time: the time set by hand is read back from the device; NTP servers saved and read
  // back; a bad server name refused next to its field.
  await open('time', '#manual-time');
  check('time page: the dead-battery warning', await page.locator('.card [data-alarm="battery"]').count() === 1);
  await page.getByRole('button', { name: 'Take this browser’s time' }).click();
  await page.getByRole('button', { name: 'Set the time' }).click();
  const setText = await textMatching(page, '.ok-text', /Time set to/);
  check('time page: the time set by hand is confirmed', /Time set to/.test(setText), setText);
  const source = await textMatching(page, '[data-field="time-source"]', /hand/);
  const deviceTime = await page.locator('[data-field="device-time"]').textContent();
  check('time page: read back, set by hand and trustworthy', source === 'hand' && /· trustworthy/.test(deviceTime),
    `${source} / ${deviceTime}`);
  const api = await page.evaluate(() => fetch('/api/v1/system/time').then((r) => r.json()));
  check('…the device clock is within a minute of the browser\'s', api.source === 'user' && api.valid
    && Math.abs(new Date(api.time) - Date.now()) < 60000, JSON.stringify(api).slice(0, 160));
  await page.fill('#ntp-0', 'bad host!');
  await page.locator('form', { has: page.locator('#ntp-0') }).getByRole('button', { name: 'Save' }).click();
  const ntpError = await textMatching(page, '#ntp-0-error', /host/);
  check('time page: a bad NTP server is refused next to its field (server validation)',
    /not a host name/.test(ntpError) && await page.getAttribute('#ntp-0', 'aria-invalid') === 'true', ntpError);
  await layout(page, '390 px time page');
  await axe(page, 'the date and time page');
  await shot(page, 'system-time-390');
  await centre(page, '#ntp-0-error');
  await shot(page, 'system-time-ntp-390');
  await page.fill('#ntp-0', '127.0.0.1');
  await page.fill('#ntp-1', '::1');
  await page.locator('form', { has: page.locator('#ntp-0') }).getByRole('button', { name: 'Save' }).click();
  const saved = await textMatching(page, '#ntp-result', /Saved/);
  check('time page: NTP servers saved', /next start/.test(saved), saved);
  await page.reload();
  await page.waitForSelector('#ntp-1', { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#ntp-1').value !== '', null, { timeout: 10000 }).catch(() => {});
  check('time page: NTP servers read back after a reload',
    await page.inputValue('#ntp-0') === '127.0.0.1' && await page.inputValue('#ntp-1') === '::1');

  // Certificate: both fingerprints; the CA downloads as the PEM of a CA whose fingerprint is the
  // one shown; a bad site certificate is refused in words and the old one stays.
  await open('certificate', '[data-cert="ca"] [data-field="fingerprint"]');
  const served = await page.locator('[data-cert="in-use"] [data-field="fingerprint"]').textContent();
  const caShown = await page.locator('[data-cert="ca"] [data-field="fingerprint"]').textContent();
  check('certificate page: both SHA-256 fingerprints', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(served)
    && /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(caShown) && served !== caShown, `${served} / ${caShown}`);
  const ca = await download(page, () => page.getByRole('link', { name: 'Download the device CA' }).click());
  let caCert = null;
  try { caCert = new X509Certificate(ca.text); } catch (e) { /* not a certificate: checked below */ }
  check('the CA download is the PEM of a CA, with the fingerprint shown',
    /^-----BEGIN CERTIFICATE-----/.test(ca.text) && caCert?.ca === true && caCert.fingerprint256 === caShown,
    `${ca.name}, ca=${caCert?.ca}, ${caCert?.fingerprint256}`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await page.setInputFiles('#cert-file', { name: 'site.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(ca.text) });
  await page.setInputFiles('#key-file', { name: 'site.key', mimeType: 'application/x-pem-file',
    buffer: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })) });
  await page.getByRole('button', { name: 'Install the certificate' }).click();
  check('certificate page: installing asks for confirmation', await page.locator('.confirm').count() === 1);
  await page.getByRole('button', { name: 'Yes, install' }).click();
  const refusal = await textMatching(page, '#cert-result', /refused/);
  check('certificate page: a bad certificate is refused in words', /refused this certificate: .+\. The current certificate is kept/.test(refusal), refusal);
  await layout(page, '390 px certificate page');
  await axe(page, 'the certificate page');
  await centre(page, '#cert-result');
  await shot(page, 'system-certificate-upload-390');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'system-certificate-390');
  await page.reload();
  await page.waitForSelector('[data-cert="in-use"] [data-field="fingerprint"]', { timeout: 15000 });
  check('…and the old certificate is still the one served',
    await page.locator('[data-cert="in-use"] [data-field="fingerprint"]').textContent() === served);

  // Backup and restore: the backup downloads; a corrupt file is refused (confirmation first) and
  // changes nothing; the backup itself restores.
  await open('backup', '#restore-file');
  const backup = await download(page, () => page.getByRole('button', { name: 'Download the backup' }).click());
  check('backup: a configuration file downloads', backup.name === 'ews-config.textproto'
    && /schema_version/.test(backup.text) && /modbus_devices/.test(backup.text), `${backup.name}, ${backup.text.length} B`);
  await page.setInputFiles('#restore-file', { name: 'broken.textproto', mimeType: 'text/plain', buffer: Buffer.from('model_size: {{ not a configuration\n') });
  await page.getByRole('button', { name: 'Restore' }).click();
  check('restore: asks for confirmation first', /Replace the whole configuration with broken\.textproto/.test(await page.locator('.confirm').textContent()));
  await page.getByRole('button', { name: 'Yes, restore' }).click();
  const refused = await textMatching(page, '#restore-result', /refused/);
  check('restore: a corrupt file is refused with its reason', /refused this file: .+\. Nothing was changed/.test(refused), refused);
  await layout(page, '390 px backup page');
  await axe(page, 'the backup page');
  await centre(page, '#restore-result');
  await shot(page, 'system-backup-390');
  const after = await download(page, () => page.getByRole('button', { name: 'Download the backup' }).click());
  check('…and the configuration is unchanged', after.text === backup.text);
  await page.setInputFiles('#restore-file', { name: 'ews-config.textproto', mimeType: 'text/plain', buffer: Buffer.from(backup.text) });
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.getByRole('button', { name: 'Yes, restore' }).click();
  const restored = await textMatching(page, '#restore-result', /Nothing to change|Restored/);
  check('restore: the backup file itself is accepted', /Nothing to change|Restored/.test(restored), restored);

  // Storage: a wrong horizon refused next to its field; the horizons per quantity.
  await open('storage', '#minute-days');
  await page.fill('#minute-days', '0');
  await page.getByRole('button', { name: 'Save' }).click();
  const storageError = await textMatching(page, '#minute-days-error', /./);
  check('storage page: a wrong value is refused next to its field', storageError.length > 0
    && await page.getAttribute('#minute-days', 'aria-describedby') === 'minute-days-help minute-days-error', storageError);
  await page.waitForSelector('.horizon-device', { timeout: 15000 }).catch(() => {});
  check('storage page: how far back each quantity goes', await page.locator('.horizon-device').count() > 0);
  await layout(page, '390 px storage page');
  await axe(page, 'the storage page');
  await shot(page, 'system-storage-390');

  // Consumption tree and tariffs: a wrong currency refused next to its field.
  await open('site', '#tree-title');
  await page.getByRole('button', { name: 'Add a tariff' }).click();
  await page.fill('#t0-id', 'grid');
  await page.fill('#t0-name', 'Grid');
  await page.fill('#t0-currency', 'EU');
  await page.locator('form', { has: page.locator('#t0-id') }).getByRole('button', { name: 'Save' }).click();
  const currencyError = await textMatching(page, '#t0-currency-error', /./);
  check('tariffs: a wrong currency is refused next to its field', currencyError.length > 0, currencyError);
  await page.fill('#t0-currency', 'EUR');
  await page.fill('#t0b0-price', '0.2');
  await page.locator('form', { has: page.locator('#t0-id') }).getByRole('button', { name: 'Save' }).click();
  const tariffSaved = await textMatching(page, '#tariffs-result', /Saved/);
  check('tariffs: a tariff saved once correct, in force at once', /applied/.test(tariffSaved), tariffSaved);
  // A board with a group counting the first meter offered.
  await page.getByRole('button', { name: 'Add a board' }).click();
  await page.fill('#b0-id', 'main');
  await page.fill('#b0-name', 'Main board');
  await page.getByRole('button', { name: 'Add a group' }).click();
  await page.fill('#b0g0-id', 'building');
  await page.fill('#b0g0-name', 'Building');
  await page.locator('[data-board="main"] .choice input').first().check();
  await page.locator('form', { has: page.locator('#b0-id') }).getByRole('button', { name: 'Save' }).click();
  const treeSaved = await textMatching(page, '#tree-result', /Saved/);
  check('consumption tree: a board with a group saved, in force at once', /applied/.test(treeSaved), treeSaved);
  const tree = await page.evaluate(() => fetch('/api/v1/config/consumption-tree').then((r) => r.json()));
  check('…and read back from the device', tree.consumption_tree.boards[0]?.groups[0]?.members.length === 1,
    JSON.stringify(tree).slice(0, 200));
  await layout(page, '390 px tree and tariffs page');
  await axe(page, 'the tree and tariffs page');
  await centre(page, '#t0-currency');
  await shot(page, 'system-site-390');

  // System: version, the log filtered by level, a restart that asks first.
  await open('maintenance', '#log-level');
  check('system page: the version', /^\d+\.\d+\.\d+/.test(await page.locator('[data-field="version"]').textContent()));
  await page.waitForSelector('.log-line', { timeout: 15000 }).catch(() => {});
  const infoLines = await page.locator('.log-line').count();
  await page.selectOption('#log-level', 'WARNING');
  await page.waitForFunction(() => [...document.querySelectorAll('.log-line')].every((l) => l.dataset.level !== 'INFO'),
    null, { timeout: 10000 }).catch(() => {});
  const levels = await page.$$eval('.log-line', (ls) => ls.map((l) => l.dataset.level));
  check('system page: the log, filtered by level', infoLines > 0 && levels.every((l) => l === 'WARNING' || l === 'ERROR'),
    `${infoLines} lines at INFO, then ${levels.length} (${[...new Set(levels)].join(',')})`);
  // With the keyboard alone: Enter asks, the question takes the focus, Tab reaches Cancel.
  await page.getByRole('button', { name: 'Restart the server' }).focus();
  await page.keyboard.press('Enter');
  // Preact moves the focus in an effect, after the question is drawn: wait for the focus itself.
  await page.waitForFunction(() => document.activeElement?.textContent === 'Restart the server now?', null,
    { timeout: 5000 }).catch(() => {});
  const focused = () => page.evaluate(() => document.activeElement?.textContent);
  check('system page: a restart asks for confirmation, the question focused', await focused() === 'Restart the server now?');
  await layout(page, '390 px system page');
  await axe(page, 'the system page');
  await shot(page, 'system-maintenance-390');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  check('…Tab goes to "Yes, restart", then "Cancel"', await focused() === 'Cancel');
  await page.keyboard.press('Enter');
  check('…and Enter on Cancel restarts nothing', await page.locator('.confirm').count() === 0
    && await page.getByText('Restarting…').count() === 0
    && await page.evaluate(() => fetch('/api/v1/health').then((r) => r.ok)));

  // The desktop: every page at 1280 px.
  const wide = await newPage(1280, 800, 'en-GB', await context.storageState());
  for (const sub of ['', ...PAGES]) {
    await go(wide.page, `${url}/#/system${sub ? `/${sub}` : ''}`);
    await wide.page.waitForSelector('#page-title', { timeout: 15000 });
    await wide.page.waitForTimeout(1500);
    if (!sub) await layout(wide.page, '1280 px admin home');
    await shot(wide.page, `system${sub ? `-${sub}` : ''}-1280`);
  }
  await wide.context.close();

  // In French: the words of the pages and the server's refusal beside the field.
  const fr = await newPage(390, 844, 'fr-FR', await context.storageState());
  await go(fr.page, `${url}/#/system/storage`);
  await fr.page.waitForSelector('#minute-days', { timeout: 15000 });
  await fr.page.fill('#minute-days', '4000');
  await fr.page.getByRole('button', { name: 'Enregistrer' }).click();
  const frError = await textMatching(fr.page, '#minute-days-error', /./);
  check('in French: the storage page, its labels and the refusal beside the field',
    await fr.page.locator('h1').textContent() === 'Stockage'
    && /Jours gardés par minute/.test(await fr.page.locator('label[for="minute-days"]').textContent())
    && frError.length > 0 && /valeur\(s\) à corriger/.test(await fr.page.locator('[role="alert"]').last().textContent()), frError);
  await axe(fr.page, 'the storage page in French');
  await fr.context.close();

  // A non-administrator (the installer) reaches neither the pages nor their API.
  const other = await newPage(390, 844, 'en-GB', installerState);
  await go(other.page, `${url}/#/system/backup`);
  const said = await textMatching(other.page, '[role="alert"]', /administrator only/);
  check('an installer is told the administrator pages are not for it', /administrator only/.test(said)
    && await other.page.locator('nav a[href="#/system"]').count() === 0, said);
  const statuses = await other.page.evaluate(async () => {
    const { csrf_token: csrf } = await (await fetch('/api/v1/session')).json();
    const put = (path, body) => fetch(path, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body });
    return [
      (await fetch('/api/v1/config/backup')).status,
      (await fetch('/api/v1/config/storage')).status,
      (await fetch('/api/v1/config/tariffs')).status,
      (await fetch('/api/v1/config/restore', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body: 'x' })).status,
      (await put('/api/v1/system/time', JSON.stringify({ time: new Date().toISOString() }))).status,
      (await put('/api/v1/system/certificate', JSON.stringify({ certificate: 'x', private_key: 'y' }))).status,
      (await fetch('/api/v1/system/restart', { method: 'POST', headers: { 'X-CSRF-Token': csrf } })).status,
      (await fetch('/api/v1/history/acknowledge', { method: 'POST', headers: { 'X-CSRF-Token': csrf } })).status,
    ];
  });
  check('…and the server refuses it their API (403)', statuses.every((s) => s === 403), statuses.join(','));
  await other.context.close();
}
