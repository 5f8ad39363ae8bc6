// Commissioning in the browser (called from browser_test.mjs with its helpers): the guided flow
// against the real server and its simulated devices. A wrong value gets its message beside the field
// and is not saved; an RS485 setting is changed and read back; a device removed from the
// configuration is found again by a scan (progress, then added with a name and a place) and shows in
// the device list; a pulse counter is added; a `user` session is refused by the page and by the API.
// Screenshots of every step at 390 and 1280 px (cm-*.png) for docs/user-manual.md.

const STEPS = ['network', 'rs485', 'gateways', 'devices', 'pulse', 'summary'];

export async function commissioningTests(helpers) {
  const { context, page } = await helpers.newPage(390, 844);
  try {
    await walk(helpers, context, page);
  } catch (e) {
    // A step that does not come ends the walk with its reason and what the page showed.
    helpers.check('commissioning: the walk through every step completes', false,
      `${e.message.split('\n')[0]} on ${page.url()}: ${(await page.locator('main').textContent().catch(() => '')).slice(0, 300)}`);
    await helpers.shot(page, 'cm-failure');
    await context.close();
  }
}

async function walk({ url, newPage, go, check, axe, layout, shot, userPin }, context, page) {
  const api = (path) => page.evaluate(async (p) => {
    const r = await fetch(p, { headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, path);
  const step = async (name) => {
    await go(page, `${url}/#/commission/${name}`);
    await page.waitForSelector(`.cm-body[data-step="${name}"] .card`, { timeout: 15000 });
    await page.waitForFunction(() => !/Loading/.test(document.querySelector('.cm-body').textContent), null, { timeout: 15000 });
    await page.evaluate(() => window.scrollTo(0, 0));
  };
  // Check and save, then apply the listed changes; the answer shows in `answer` (by default the form's
  // own status line; a device form closes and the list says it).
  const saveAndConfirm = async (form, answer = form.locator('.notice[role=status]')) => {
    await form.getByRole('button', { name: 'Check and save' }).click();
    await form.locator('.confirm').waitFor({ timeout: 10000 });
    const changes = await form.locator('.confirm .changes').textContent();
    await form.getByRole('button', { name: 'Apply' }).click();
    await answer.waitFor({ timeout: 15000 });
    return { changes, answer: await answer.textContent() };
  };

  // The flow starts (and resumes) at a step; the first is site and network.
  await go(page, `${url}/#/commission`);
  await page.waitForURL(/#\/commission\/network/, { timeout: 10000 });
  await page.waitForSelector('#f-network-hostname', { timeout: 15000 });
  check('commissioning opens at its first step with the network settings',
    /Commissioning: Site and network/.test(await page.locator('h1').textContent()));
  await axe(page, 'commissioning: network');
  await shot(page, 'cm-network-390');

  // RS485: a wrong timeout is refused beside its field and not saved; a right one is saved and read back.
  await step('rs485');
  const rs485 = page.locator('form[aria-labelledby=cm-rs485]');
  const before = (await api('/api/v1/config/rs485')).body.rs485;
  await page.fill('#f-rs485-response_timeout_ms', '5');
  await rs485.getByRole('button', { name: 'Check and save' }).click();
  await page.waitForSelector('#f-rs485-response_timeout_ms-error', { timeout: 10000 });
  const message = await page.locator('#f-rs485-response_timeout_ms-error').textContent();
  const after = (await api('/api/v1/config/rs485')).body.rs485;
  check('a wrong value shows the server\'s message beside its field', message.length > 5
    && await page.getAttribute('#f-rs485-response_timeout_ms', 'aria-invalid') === 'true'
    && (await page.getAttribute('#f-rs485-response_timeout_ms', 'aria-describedby')).includes('f-rs485-response_timeout_ms-error'), message);
  check('…and is not saved', after.response_timeout_ms === before.response_timeout_ms, JSON.stringify(after.response_timeout_ms));
  check('…and focus moves to the wrong field', await page.evaluate(() => document.activeElement.id) === 'f-rs485-response_timeout_ms');
  await shot(page, 'cm-rs485-error-390');
  await page.fill('#f-rs485-response_timeout_ms', '400');
  const saved = await saveAndConfirm(rs485);
  check('the change is listed for confirmation', /rs485\.response_timeout_ms: 300 → 400/.test(saved.changes), saved.changes);
  check('the server\'s answer is shown in words', /Saved \(1 change/.test(saved.answer), saved.answer);
  await step('rs485');
  check('the RS485 setting reads back', await page.inputValue('#f-rs485-response_timeout_ms') === '400'
    && (await api('/api/v1/config/rs485')).body.rs485.response_timeout_ms === 400);
  await layout(page, '390 px commissioning rs485');
  await axe(page, 'commissioning: RS485');
  await shot(page, 'cm-rs485-390');

  await step('gateways');
  await axe(page, 'commissioning: gateways');
  await shot(page, 'cm-gateways-390');

  // Devices: remove the PV feed (address 6), find it again with a scan of 5..7, add it with a name.
  await step('devices');
  const id = 'emdx3_4_120_45-6';
  const card = page.locator(`.cm-device[data-device="${id}"]`);
  await card.waitFor({ timeout: 15000 });
  await card.getByRole('button', { name: /^Remove/ }).click();
  check('a removal asks for confirmation first', await card.locator('.confirm').count() === 1);
  await card.getByRole('button', { name: 'Yes, remove' }).click();
  await page.waitForSelector(`.cm-device[data-device="${id}"]`, { state: 'detached', timeout: 15000 });
  check('the removed device leaves the list, the answer in words',
    /Removed/.test(await page.locator('#cm-devices ~ .notice').textContent()));
  await page.fill('#f-scan-first', '5');
  await page.fill('#f-scan-last', '7');
  await page.getByRole('button', { name: 'Start the scan' }).click();
  await page.waitForSelector('.cm-scan-state[data-state=running]', { timeout: 10000 });
  const progressText = await page.locator('.cm-scan-state label').textContent();
  check('the scan shows its progress per address', /Addresses probed: \d of 3/.test(progressText)
    && await page.locator('progress#cm-scan-progress').count() === 1, progressText);
  await shot(page, 'cm-scan-running-390');
  await page.waitForSelector('.cm-scan-state[data-state=done]', { timeout: 30000 });
  const found = page.locator('.cm-found li[data-address="6"]');
  await found.waitFor({ timeout: 5000 });
  check('the scan finds the device at address 6 with its profile', /EMDX3/.test(await found.textContent()));
  check('…and says the one at address 5 is already configured',
    /Already configured/.test(await page.locator('.cm-found li[data-address="5"]').textContent()));
  await found.scrollIntoViewIfNeeded();
  await shot(page, 'cm-scan-390');
  await found.getByRole('button', { name: 'Add the device at address 6' }).click();
  const form = page.locator('.cm-device-form');
  await form.waitFor();
  await form.locator('input[name$="].name"]').fill('PV inverter');
  await form.locator('input[name$="].location"]').fill('Main board, row 2');
  await form.scrollIntoViewIfNeeded();
  await shot(page, 'cm-device-add-390');
  const added = await saveAndConfirm(form, page.locator('#cm-devices ~ .notice[role=status]'));
  check('adding the found device is confirmed, the answer in words',
    /PV inverter/.test(added.changes) && /Saved: PV inverter/.test(added.answer), `${added.changes} / ${added.answer}`);
  await page.waitForSelector(`.cm-device[data-device="${id}"]`, { timeout: 15000 });
  check('the added device shows in the list with its name',
    /PV inverter/.test(await page.locator(`.cm-device[data-device="${id}"] h3`).textContent()));
  await go(page, `${url}/#/devices`);
  await page.waitForSelector(`[data-device="${id}"]`, { timeout: 15000 });
  check('…and on the devices page', /PV inverter/.test(await page.locator(`[data-device="${id}"]`).textContent()));
  await step('devices');
  await layout(page, '390 px commissioning devices');
  await axe(page, 'commissioning: devices');
  await shot(page, 'cm-devices-390');

  // Pulse counters: a gas meter on the next free input.
  await step('pulse');
  const pulse = page.locator('form[aria-labelledby=cm-pulse]');
  const count = await pulse.locator('.cm-pulse').count();
  await pulse.getByRole('button', { name: 'Add a pulse counter' }).click();
  const item = pulse.locator('.cm-pulse').nth(count);
  await item.locator('input[name$="].name"]').fill('Gas meter');
  await item.locator('input[name$="].location"]').fill('Boiler room');
  await item.locator('select[name$="].kind"]').selectOption('PULSE_KIND_GAS');
  await item.locator('input[name$="].quantity_per_pulse"]').fill('0.01');
  await item.locator('input[name$="].starting_index"]').fill('1234.5');
  await item.locator('input[name$="].id"]').fill('gas-main');
  await item.scrollIntoViewIfNeeded();
  await shot(page, 'cm-pulse-390');
  const pulseSaved = await saveAndConfirm(pulse);
  const counters = (await api('/api/v1/config/pulse-counters')).body.pulse_counters;
  const gas = counters.find((c) => c.id === 'gas-main');
  check('a pulse counter is added', gas && gas.kind === 'PULSE_KIND_GAS' && gas.unit === 'PULSE_UNIT_CUBIC_METRE'
    && gas.quantity_per_pulse === 0.01 && gas.starting_index === 1234.5, JSON.stringify(gas));
  check('…and the answer says it applies at once (pulse counters need no restart)', /In force now/.test(pulseSaved.answer), pulseSaved.answer);
  await page.evaluate(() => window.scrollTo(0, 0));
  await layout(page, '390 px commissioning pulse counters');
  await axe(page, 'commissioning: pulse counters');

  await step('summary');
  await page.waitForSelector('.cm-summary', { timeout: 15000 });
  const summary = await page.locator('.cm-summary').textContent();
  check('the summary lists the devices, their profiles, readings and the settings',
    /PV inverter/.test(summary) && /emdx3_4_120_45/.test(summary) && /Gas meter/.test(summary)
    && /19200 8E1, 400 ms/.test(summary), summary.slice(0, 120));
  await axe(page, 'commissioning: summary');
  await shot(page, 'cm-summary-390');
  await context.close();

  // 360 px, in French (the longer words): every step without horizontal scrolling, tap targets of
  // 44 px; 1280 px screenshots.
  for (const [width, height, locale] of [[360, 780, 'fr-FR'], [1280, 900, 'en-GB']]) {
    const wide = await newPage(width, height, locale);
    for (const name of STEPS) {
      await go(wide.page, `${url}/#/commission/${name}`);
      await wide.page.waitForSelector(`.cm-body[data-step="${name}"] .card`, { timeout: 15000 });
      await wide.page.waitForTimeout(800);
      if (width === 360) await layout(wide.page, `360 px commissioning ${name} (French)`);
      else await shot(wide.page, `cm-${name}-1280`);
    }
    await wide.context.close();
  }

  // A user session: the page refuses, and so does the API, even with the URL typed.
  if (userPin) {
    const user = await newPage(390, 844, 'en-GB', null);
    await go(user.page, `${url}/#/login`);
    await user.page.check('input[name=role][value=user]');
    await user.page.fill('#pin', userPin);
    await user.page.click('form button[type=submit]');
    await user.page.waitForSelector('nav', { timeout: 10000 });
    check('a user has no commissioning in its navigation', await user.page.locator('nav a[href="#/commission"]').count() === 0);
    await go(user.page, `${url}/#/commission/rs485`);
    await user.page.waitForSelector('[role=alert]', { timeout: 10000 });
    check('a user typing the commissioning URL is refused',
      /installer and the administrator/.test(await user.page.locator('[role=alert]').textContent()));
    const answer = await user.page.evaluate(async () => {
      const csrf = (await (await fetch('/api/v1/session')).json()).csrf_token;
      const get = await fetch('/api/v1/config/rs485');
      const put = await fetch('/api/v1/config/rs485', { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ rs485: { baud_rate: 9600 } }) });
      const scan = await fetch('/api/v1/scan', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{}' });
      return [get.status, put.status, scan.status];
    });
    check('…and the API refuses it too (403)', answer.every((s) => s === 403), JSON.stringify(answer));
    await axe(user.page, 'commissioning refused to a user');
    await shot(user.page, 'cm-refused-390');
    await user.context.close();
  }
}
