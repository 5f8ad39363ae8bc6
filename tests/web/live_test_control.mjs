// Browser checks of live values over the WebSocket, the installer's test page and control (breaker,
// EV charging station), against the running ews-server and the demo's simulated devices
// (tests/web/run.sh). Called from browser_test.mjs with its helpers; prints "ok/FAIL" through check.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const FACTORY_PIN = { administrator: '99999', installer: '55555', greenUp: '88888', user: '11111' };
const METER = 'emdx3_4_120_45-1'; // address 1, drawing 40 A: its energy counts all the time
const PV = 'emdx3_4_120_45-6'; // address 6, made silent here
const BREAKER = 'mccb_measurement_unit-2';
const CHARGER = 'ev_charger_generic-5';

export async function liveTestControl({ url, newPage, go, check, axe, layout, shot, newPin, commands }) {
  const simulator = (line) => writeFileSync(commands, `${line}\n`);
  const simulatorLog = join(dirname(commands), 'simulator.log');

  // A browser context logged in as `role` (its codes changed already, or changed here).
  async function loginAs(role, width = 390, height = 844) {
    const ctx = await newPage(width, height, 'en-GB', null);
    const post = (path, data, headers = {}) => ctx.page.request.post(`${url}${path}`, { data, headers });
    let r = await post('/api/v1/session/login', { role, pin: newPin[role] });
    if (r.status() !== 200) {
      r = await post('/api/v1/session/login', { role, pin: FACTORY_PIN[role] });
      const csrf = (await r.json()).session.csrf_token;
      await post('/api/v1/session/codes', { current_pin: FACTORY_PIN[role], new_pin: newPin[role],
        new_puk: '24681 3579 86420' }, { 'X-CSRF-Token': csrf });
    }
    return ctx;
  }

  // What the page's WebSocket carries: the frames received (parsed) and sent.
  function recordWebSocket(page) {
    const seen = { sockets: [], received: [], sent: [] };
    page.on('websocket', (ws) => {
      seen.sockets.push(ws.url());
      ws.on('framereceived', (f) => { try { seen.received.push(JSON.parse(f.payload)); } catch (e) { /* binary */ } });
      ws.on('framesent', (f) => seen.sent.push(String(f.payload)));
    });
    return seen;
  }
  const waitFor = (page, fn, arg, timeout) => page.waitForFunction(fn, arg, { timeout, polling: 250 })
    .then(() => true, () => false);

  // 1. Live values: the meter's page gets new values by the WebSocket, without a reload and
  //    without polling the devices API.
  {
    const { context, page } = await loginAs('installer');
    const ws = recordWebSocket(page);
    const polled = [];
    page.on('request', (r) => { if (/\/api\/v1\/devices/.test(r.url())) polled.push(r.url()); });
    await go(page, `${url}/#/devices/${METER}`);
    await page.waitForSelector('[data-quantity="ea_import"] .number', { timeout: 20000 });
    await page.evaluate(() => { window.ewsNoReload = true; });
    const open = await waitFor(page, () => document.querySelector('.live-link')?.dataset.live === 'open', null, 10000);
    check('the device page says it is live', open, await page.locator('.live-link').textContent());
    const energy = `[data-quantity="ea_import"] .number`;
    await waitFor(page, () => true, null, 100);
    const polledBefore = polled.length;
    const before = await page.locator(energy).textContent();
    const changed = await waitFor(page, ([sel, old]) => document.querySelector(sel)?.textContent !== old, [energy, before], 20000);
    const after = await page.locator(energy).textContent();
    check('a live value changes on screen without a reload', changed
      && await page.evaluate(() => window.ewsNoReload === true), `${before} → ${after}`);
    const pushed = ws.received.filter((m) => m.type === 'values' && m.device === METER);
    check('…pushed by the WebSocket /api/v1/live', ws.sockets.some((s) => s.endsWith('/api/v1/live')) && pushed.length >= 1,
      `${ws.sockets.join(' ')}; ${pushed.length} values messages`);
    check('…the page asked the device to watch the meter (polled every 2 s while shown)',
      ws.sent.some((s) => s.includes('"watch"') && s.includes(METER))
      && ws.received.some((m) => m.type === 'watching' && m.device === METER));
    check('…and did not poll the devices API for it', polled.length === polledBefore, polled.slice(polledBefore).join(' '));
    await shot(page, 'device-live-390');

    // The WebSocket is cut (a page whose live route the test holds): the page says so, keeps its
    // values and reconnects by itself once the device can be reached again.
    {
      const cutPage = await context.newPage();
      let cut = false;
      const held = [];
      await cutPage.routeWebSocket(/\/api\/v1\/live$/, (route) => {
        if (cut) { route.close({ code: 1011, reason: 'cut by the test' }); return; }
        route.connectToServer();
        held.push(route);
      });
      await go(cutPage, `${url}/#/devices/${METER}`);
      await waitFor(cutPage, () => document.querySelector('.live-link')?.dataset.live === 'open', null, 10000);
      await cutPage.waitForSelector(energy, { timeout: 10000 });
      await cutPage.evaluate(() => { window.ewsNoReload = true; });
      cut = true;
      for (const route of held) await route.close({ code: 1006, reason: 'cut by the test' }).catch(() => {});
      const lost = await waitFor(cutPage, () => document.querySelector('.live-link')?.dataset.live === 'lost', null, 10000);
      check('a lost live connection is shown in words', lost, await cutPage.locator('.live-link').textContent());
      await cutPage.waitForTimeout(2500);
      check('…and the last values stay on screen', /\d/.test(await cutPage.locator(energy).textContent()));
      await shot(cutPage, 'live-lost-390');
      cut = false;
      const back = await waitFor(cutPage, () => document.querySelector('.live-link')?.dataset.live === 'open', null, 40000);
      check('…and it reconnects by itself (back-off), without a reload', back
        && await cutPage.evaluate(() => window.ewsNoReload === true), await cutPage.locator('.live-link').textContent());
      await cutPage.close();
    }

    // 2. A device made silent turns absent (state pushed), says since when and its last error;
    //    answering again, it comes back online.
    simulator(`fault 6 silent`);
    await go(page, `${url}/#/devices/${PV}`);
    await page.waitForSelector('.badge', { timeout: 15000 });
    const absent = await waitFor(page, () => /absent/.test(document.querySelector('.badge')?.textContent), null, 40000);
    const facts = await page.locator('.facts').first().textContent();
    check('a device made silent is shown absent, with since when and its last error', absent
      && /since/.test(facts) && /last error/.test(facts), facts);
    check('…told by a WebSocket state message', ws.received.some((m) => m.type === 'state' && m.device === PV && m.state === 'absent'));
    await shot(page, 'device-absent-live-390');
    simulator(`clear 6`);
    const online = await waitFor(page, () => /online/.test(document.querySelector('.badge')?.textContent), null, 60000);
    check('…and online again once it answers', online, await page.locator('.badge').textContent());
    await context.close();
  }

  // 3. The test page: a register range read once, raw words and decoded value as the simulator
  //    serves them (the meter held still), the line's counters, the LEDs mirrored.
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    const { context, page } = await loginAs('installer', width, height);
    if (width === 390) {
      await go(page, `${url}/#/test`);
    } else {
      // From a device's page: its line counters, and a link to test it.
      await go(page, `${url}/#/devices/${METER}`);
      await page.waitForSelector('.link-health', { timeout: 20000 }).catch(() => {});
      check('a device page shows its line counters', /answers to .* requests/.test(await page.locator('.link-health').textContent().catch(() => '')));
      await page.getByRole('link', { name: 'Test this device' }).click();
    }
    await page.waitForSelector('#test-device option[value="' + METER + '"]', { state: 'attached', timeout: 20000 });
    if (width !== 390) check('…and its link opens the test page on it', await page.inputValue('#test-device') === METER);
    if (width === 390) {
      simulator('hold 1');
      await page.waitForTimeout(300);
      const mark = readFileSync(simulatorLog, 'utf8').length;
      simulator('value 1 v1n');
      let served = null;
      for (let i = 0; i < 30 && served === null; i += 1) {
        await page.waitForTimeout(100);
        served = /value 1 v1n (\d+)/.exec(readFileSync(simulatorLog, 'utf8').slice(mark))?.[1] ?? null;
      }
      await page.selectOption('#test-device', METER);
      await page.selectOption('#test-fn', '3');
      await page.fill('#test-start', '0x1000');
      await page.selectOption('#test-type', 'u32');
      await page.selectOption('#test-order', 'ABCD');
      await page.getByRole('button', { name: 'Read', exact: true }).click();
      await page.waitForSelector('.test-result [data-decoded]', { timeout: 10000 }).catch(() => {});
      const words = await page.locator('.test-result [data-raw]').allTextContents();
      const decoded = await page.locator('.test-result [data-decoded]').textContent().catch(() => '');
      const raw = Number(served);
      check('the test page reads a register range: raw words as the simulator serves them',
        served !== null && words.length === 2 && Number(words[0]) === Math.floor(raw / 65536) && Number(words[1]) === raw % 65536,
        `simulator ${served}, page ${JSON.stringify(words)}`);
      check('…and the decoded u32 value', Number(String(decoded).replace(/\D/g, '')) === raw, `${decoded} vs ${served}`);
      simulator('run 1');
      check('…with the exchange time and the line counters', /answered in/.test(await page.locator('.test-result .facts').textContent())
        && Number((await page.locator('[data-counter="testAnswers"] dd').textContent()).replace(/\D/g, '')) > 0);
      // A wrong start is refused next to its field, nothing sent.
      await page.fill('#test-start', '70000');
      await page.getByRole('button', { name: 'Read', exact: true }).click();
      check('a bad register number gets an error next to the field', await page.locator('#test-start-error').count() === 1
        && await page.locator('#test-start').getAttribute('aria-describedby') === 'test-start-error');
      await page.fill('#test-start', '0x1000');
      // Repeat: the read count grows by itself.
      await page.getByRole('button', { name: 'Repeat every second' }).click();
      const repeated = await waitFor(page, () => Number(/^(\d+)/.exec(document.querySelector('[data-reads]')?.textContent)?.[1]) >= 3, null, 10000);
      await page.getByRole('button', { name: 'Stop repeating' }).click();
      check('read repeatedly until stopped', repeated, await page.locator('[data-reads]').textContent());
      const lit = await waitFor(page, () => document.querySelector('.pled-power')?.dataset.lit === '1', null, 5000);
      const colours = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.pled')].map((li) => {
        li.classList.add('on');
        const c = getComputedStyle(li.querySelector('i')).backgroundColor;
        li.classList.remove('on');
        return [li.dataset.led, c];
      })));
      check('the front-panel LEDs are mirrored in the product colours', lit && colours.power === 'rgb(47, 128, 255)'
        && colours.rx === 'rgb(255, 59, 48)' && colours.tx === 'rgb(48, 209, 88)' && colours.link === 'rgb(255, 214, 10)'
        && colours.act === 'rgb(48, 209, 88)', JSON.stringify(colours));
      await page.evaluate(() => window.scrollTo(0, 0)); // layout() looks at the header's LEDs
      await layout(page, '390 px test page');
      await axe(page, 'the test page');
    } else {
      await page.fill('#test-start', '0x1000');
      await page.selectOption('#test-type', 'u32');
      await page.getByRole('button', { name: 'Read', exact: true }).click();
      await page.waitForSelector('.test-result', { timeout: 10000 }).catch(() => {});
    }
    await page.waitForTimeout(800);
    if (width === 390) await page.locator('.test-result').scrollIntoViewIfNeeded().catch(() => {});
    await shot(page, `test-${width}`);
    await context.close();
  }

  // 4. Control of a breaker: cancel sends nothing; a confirmed "Open" is done and shown; a
  //    tripped breaker refusing "Close" is shown in words.
  {
    const { context, page } = await loginAs('installer');
    const sent = [];
    page.on('request', (r) => { if (r.method() === 'POST' && /\/commands\//.test(r.url())) sent.push(r.url()); });
    await go(page, `${url}/#/devices/${BREAKER}`);
    const control = (id) => page.locator(`.control[data-command="${id}"]`);
    await page.waitForSelector('.controls', { timeout: 20000 });
    await control('open').getByRole('button', { name: 'Open' }).click();
    check('a command asks for confirmation first', await control('open').locator('.confirm').count() === 1,
      await control('open').textContent());
    check('…with the keyboard focus on Cancel, the safe choice',
      await page.evaluate(() => document.activeElement?.textContent) === 'Cancel');
    await shot(page, 'control-confirm-390');
    await axe(page, 'the device page with its controls');
    await control('open').getByRole('button', { name: 'Cancel' }).click();
    await page.waitForTimeout(500);
    check('…cancelling sends nothing', sent.length === 0 && await control('open').locator('.confirm').count() === 0, sent.join(' '));
    await control('open').getByRole('button', { name: 'Open' }).click();
    await control('open').getByRole('button', { name: 'Yes, send it' }).click();
    await page.waitForSelector('.control[data-command="open"] .control-answer', { timeout: 10000 }).catch(() => {});
    const opened = await control('open').locator('.control-answer').textContent().catch(() => '');
    check('a confirmed "Open" reaches the breaker and its answer is shown', sent.length === 1 && /Done/.test(opened), opened);
    simulator('trip 2 1'); // an overload trip
    await page.waitForTimeout(300);
    await control('close').getByRole('button', { name: 'Close' }).click();
    await control('close').getByRole('button', { name: 'Yes, send it' }).click();
    await page.waitForSelector('.control[data-command="close"] .control-answer', { timeout: 10000 }).catch(() => {});
    const refused = await control('close').locator('.control-answer').textContent().catch(() => '');
    check('a refusal is shown in words (the breaker refused: exception 0x04)', /refused/.test(refused) && /0x04/.test(refused), refused);
    await control('close').scrollIntoViewIfNeeded();
    await shot(page, 'control-refused-390');
    await control('reset_trip').getByRole('button', { name: 'Reset after trip' }).click();
    await control('reset_trip').getByRole('button', { name: 'Yes, send it' }).click();
    await page.waitForSelector('.control[data-command="reset_trip"] .control-answer', { timeout: 10000 }).catch(() => {});
    await context.close();
  }

  // 5. greenUp: the chargers live, start/stop and the current limit behind a confirmation.
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    const { context, page } = await loginAs('greenUp', width, height);
    const ws = recordWebSocket(page);
    await go(page, `${url}/#/chargers`);
    const card = `.charger[data-device="${CHARGER}"]`;
    await page.waitForSelector(`${card} .ev-state`, { timeout: 20000 });
    if (width === 390) {
      check('greenUp sees the charging station with its state in words',
        /Available|Preparing|Charging|Paused|Finishing|Reserved|Unavailable|Faulted/.test(await page.locator(`${card} .ev-state`).textContent()));
      const stop = page.locator(`${card} .control[data-command="stop"]`);
      await stop.getByRole('button', { name: 'Stop charging' }).click();
      await stop.getByRole('button', { name: 'Yes, send it' }).click();
      await page.waitForSelector(`${card} .control[data-command="stop"] .control-answer`, { timeout: 10000 }).catch(() => {});
      check('greenUp stops a charge after confirming, and sees the answer',
        /Done/.test(await stop.locator('.control-answer').textContent().catch(() => '')));
      const limit = page.locator(`${card} .control[data-command="limit-${CHARGER}"]`);
      await limit.locator('input').fill('40');
      await limit.getByRole('button', { name: 'Set' }).click();
      check('a current limit out of range is refused next to the field, nothing asked',
        await limit.locator('.field-error').count() === 1 && await limit.locator('.confirm').count() === 0);
      await limit.locator('input').fill('16');
      await limit.getByRole('button', { name: 'Set' }).click();
      await limit.getByRole('button', { name: 'Yes, send it' }).click();
      await page.waitForSelector(`${card} .control[data-command="limit-${CHARGER}"] .control-answer`, { timeout: 10000 }).catch(() => {});
      check('…16 A is set after confirming', /Done/.test(await limit.locator('.control-answer').textContent().catch(() => '')));
      const limited = await waitFor(page, (sel) => /16\u00a0A/.test(document.querySelector(`${sel} [data-quantity="current_limit"]`)?.textContent), card, 15000);
      check('…and the new limit comes back live', limited && ws.received.some((m) => m.type === 'values' && m.device === CHARGER));
      await page.evaluate(() => window.scrollTo(0, 0));
      await layout(page, '390 px chargers');
      await axe(page, 'the chargers page (greenUp)');
    }
    await shot(page, `chargers-live-${width}`);
    await context.close();
  }

  // 6. The `user` role sees no control and the API refuses it.
  {
    const { context, page } = await loginAs('user');
    await go(page, `${url}/#/devices/${BREAKER}`);
    await page.waitForSelector('[data-quantity]', { timeout: 20000 });
    check('a user sees no control on a breaker', await page.locator('.controls, .control').count() === 0);
    const csrf = (await (await page.request.get(`${url}/api/v1/session`)).json()).csrf_token;
    const command = await page.request.post(`${url}/api/v1/devices/${BREAKER}/commands/open`, { data: {}, headers: { 'X-CSRF-Token': csrf } });
    const registers = await page.request.post(`${url}/api/v1/devices/${METER}/registers`, { data: { start: 4096 }, headers: { 'X-CSRF-Token': csrf } });
    const ev = await page.request.post(`${url}/api/v1/ev/chargers/${CHARGER}/stop`, { headers: { 'X-CSRF-Token': csrf } });
    check('…and the API refuses it commands, register reads and EV control (403)',
      command.status() === 403 && registers.status() === 403 && ev.status() === 403,
      `${command.status()} ${registers.status()} ${ev.status()}`);
    await context.close();
  }
}
