// Browser checks of the history chart (web/src/pages/chart.jsx), called from browser_test.mjs once
// the history holds a few minutes: open a chart, zoom by dragging and with the keyboard (each zoom
// asks /api/v1/history/chart for a narrower period and the resolution label follows), reset the
// zoom, a year at a coarser resolution, the horizons table, a gap left as a gap, French formats,
// 360/390/1280 px layouts.

// One /history/chart request of the page: its period in seconds.
function spanOf(request) {
  const q = new URL(request.url()).searchParams;
  return Number(q.get('to')) - Number(q.get('from'));
}

// Waits for the chart's answer to the period now asked (data-loading 0) and reads its state.
async function settled(page) {
  await page.waitForFunction(() => {
    const c = document.querySelector('.history-chart');
    return c && c.dataset.loading === '0' && c.dataset.resolution;
  }, null, { timeout: 20000 });
  return page.evaluate(() => {
    const c = document.querySelector('.history-chart');
    return { resolution: c.dataset.resolution, perPoint: Number(c.dataset.perPoint),
      span: Number(c.dataset.to) - Number(c.dataset.from), label: c.querySelector('.chart-resolution')?.textContent || '' };
  });
}

export async function testCharts({ url, newPage, go, check, shot, axe, layout }) {
  // The series to draw: the lighting sub-meter (a pulse counter, 1 Wh a second) once its first
  // minutes are stored, else the meter's voltage (which the data test waited for).
  const probe = await newPage(390, 844);
  let target = 'emdx3_4_120_45-1/v1n';
  for (let waited = 0; waited < 90; waited += 3) {
    const r = await probe.page.request.get(`${url}/api/v1/history/series?device=submeter-lighting`).catch(() => null);
    if (r && r.ok() && (await r.json()).series.some((s) => s.quantity === 'index')) { target = 'submeter-lighting/index'; break; }
    await probe.page.waitForTimeout(3000);
  }
  await probe.context.close();
  console.log(`chart of ${target}`);

  const { context, page } = await newPage(390, 844);
  const first = page.waitForRequest(/\/api\/v1\/history\/chart\?/, { timeout: 20000 }).catch(() => null);
  await go(page, `${url}/#/chart/${target}`);
  const firstRequest = await first;
  check('the chart asks /api/v1/history/chart for the last 24 hours', firstRequest && spanOf(firstRequest) === 86400,
    firstRequest?.url());
  let state = await settled(page);
  check('the chart says which resolution it shows (24 h on a phone: merged minutes)',
    state.resolution === 'minute' && state.perPoint > 1 && /per \d+ minutes/.test(state.label), JSON.stringify(state));
  const drawn = await page.waitForSelector('.history-chart canvas', { timeout: 10000 }).then(() => true, () => false);
  check('the chart draws (uPlot loaded on demand)', drawn);
  const rows = await page.locator('.horizons tbody tr').count();
  const current = await page.locator('.horizons tr[aria-current="true"]').getAttribute('data-tier').catch(() => null);
  check('the horizons table lists every resolution and marks the one shown', rows === 5 && current === 'minute', `${rows} rows, ${current}`);
  const kept = await page.locator('.horizons tr[data-tier="minute"] td').first().textContent();
  check('…with how long each is kept', /\d+ (days|hours)/.test(kept), kept);
  await axe(page, 'the chart page');

  // Drag across the last fifth of the plot: a new request for that stretch, finer points.
  await page.locator('.history-chart .u-over').scrollIntoViewIfNeeded();
  const over = await page.locator('.history-chart .u-over').boundingBox();
  const dragged = page.waitForRequest(/\/api\/v1\/history\/chart\?/, { timeout: 10000 }).catch(() => null);
  await page.mouse.move(over.x + over.width * 0.8, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.9, over.y + over.height / 2, { steps: 4 });
  await page.mouse.move(over.x + over.width * 0.999, over.y + over.height / 2, { steps: 4 });
  await page.mouse.up();
  const dragRequest = await dragged;
  check('dragging across the chart asks for the narrower period', dragRequest && spanOf(dragRequest) < 86400 / 4,
    dragRequest ? `${spanOf(dragRequest)} s` : 'no request');
  const before = state;
  state = await settled(page);
  check('…and the resolution switches by itself (single minutes where they are kept), said in words',
    state.resolution === 'minute' && state.perPoint === 1 && state.label !== before.label && /a minute/.test(state.label),
    `${before.label} → ${state.label}`);
  check('…and "Reset zoom" becomes available', await page.getByRole('button', { name: 'Reset zoom' }).isEnabled());
  await page.evaluate(() => document.getElementById('chart-heading').scrollIntoView());
  await shot(page, 'chart-390');

  // Keyboard only: Tab to "Zoom in", Enter.
  await page.getByRole('button', { name: 'Zoom in' }).focus();
  const keyed = page.waitForRequest(/\/api\/v1\/history\/chart\?/, { timeout: 10000 }).catch(() => null);
  await page.keyboard.press('Enter');
  const keyRequest = await keyed;
  check('the "Zoom in" button works from the keyboard (half the period)', keyRequest
    && Math.abs(spanOf(keyRequest) - state.span / 2) <= 2, keyRequest ? `${state.span} → ${spanOf(keyRequest)} s` : 'no request');
  await settled(page);
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  state = await settled(page);
  check('"Reset zoom" returns to the 24 hours', state.span === 86400 && state.perPoint > 1, JSON.stringify(state));
  await page.getByRole('button', { name: '1 year' }).click();
  state = await settled(page);
  // 365 days on a 340 px plot: monthly points (a wider plot gets daily ones).
  check('a year is shown at a coarser resolution, and the label and the horizons table say which',
    ['day', 'month'].includes(state.resolution) && new RegExp(`a ${state.resolution}`).test(state.label)
    && await page.locator('.horizons tr[aria-current="true"]').getAttribute('data-tier') === state.resolution, JSON.stringify(state));
  await context.close();

  // The narrowest phone, and the desktop.
  const narrow = await newPage(360, 740);
  await go(narrow.page, `${url}/#/chart/${target}`);
  await settled(narrow.page);
  await layout(narrow.page, '360 px chart');
  await narrow.context.close();
  const wide = await newPage(1280, 800);
  await go(wide.page, `${url}/#/chart/${target}`);
  state = await settled(wide.page);
  check('at 1280 px the 24 hours come at a finer resolution than on a phone', state.perPoint < before.perPoint,
    JSON.stringify(state));
  await wide.page.getByRole('button', { name: '1 year' }).click();
  state = await settled(wide.page);
  check('…and a year at daily resolution', state.resolution === 'day' && /a day/.test(state.label), JSON.stringify(state));
  await wide.page.getByRole('button', { name: '24 hours' }).click();
  await settled(wide.page);
  // The manual's picture: the meter's voltage (average, minimum, maximum), zoomed into the last
  // hour or so (a fresh box has only minutes).
  await go(wide.page, `${url}/#/chart/emdx3_4_120_45-1/v1n`);
  await settled(wide.page);
  await wide.page.locator('.history-chart .u-over').scrollIntoViewIfNeeded();
  const box = await wide.page.locator('.history-chart .u-over').boundingBox();
  await wide.page.mouse.move(box.x + box.width * 0.96, box.y + box.height / 2);
  await wide.page.mouse.down();
  await wide.page.mouse.move(box.x + box.width * 0.999, box.y + box.height / 2, { steps: 5 });
  await wide.page.mouse.up();
  await settled(wide.page);
  await shot(wide.page, 'chart-1280');
  await wide.context.close();

  // Gaps: an answer (made up here, as a fresh box has none) of 20 points whose 11th is a gap:
  // the plot holds no value there (the legend says so) and the points either side keep theirs.
  const gap = await newPage(1280, 800);
  await gap.page.route('**/api/v1/history/chart?**', (route) => {
    const q = new URL(route.request().url()).searchParams;
    const from = Number(q.get('from'));
    const step = (Number(q.get('to')) - from) / 20;
    const points = Array.from({ length: 20 }, (_, i) => (i === 10
      ? { t: Math.round(from + i * step), end: Math.round(from + (i + 1) * step), counter: null, delta: null, gap: true }
      : { t: Math.round(from + i * step), end: Math.round(from + (i + 1) * step), counter: 1000 + 60 * i, delta: 60 }));
    route.fulfill({ contentType: 'application/json', body: JSON.stringify({ device: 'x', quantity: 'index', kind: 'counter',
      unit: 'Wh', from: '', to: '', time_zone: 'UTC', resolution: 'hour', intervals_per_point: 1, points }) });
  });
  await go(gap.page, `${url}/#/chart/${target}`);
  await settled(gap.page);
  await gap.page.waitForSelector('.history-chart canvas', { timeout: 10000 });
  const plotBox = await gap.page.locator('.history-chart .u-over').boundingBox();
  const legendAt = async (i) => {
    await gap.page.mouse.move(plotBox.x + plotBox.width * ((i + 0.05) / 20), plotBox.y + plotBox.height / 2);
    await gap.page.waitForTimeout(100);
    return gap.page.locator('.u-legend .u-series').nth(1).locator('.u-value').textContent();
  };
  const values = [await legendAt(9), await legendAt(10), await legendAt(11)];
  check('a gap point is plotted as no value (a null: uPlot breaks the line there, spanGaps false), its neighbours keep theirs', values[0] === '60' && values[1] === '—'
    && values[2] === '60', JSON.stringify(values));
  await gap.context.close();

  // French: words, dates (dd/mm/yyyy) and the time zone named.
  const fr = await newPage(390, 844, 'fr-FR');
  await go(fr.page, `${url}/#/chart/${target}`);
  await settled(fr.page);
  const status = await fr.page.locator('.chart-status').textContent();
  check('in French: the resolution and the period in the French form', /Résolution/.test(status)
    && /\d\d\/\d\d\/20\d\d/.test(status), status);
  check('…and the time zone is named', /Heures en \S+/.test(await fr.page.locator('.history-chart .note').textContent()));
  await fr.context.close();
}
