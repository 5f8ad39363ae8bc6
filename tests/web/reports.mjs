// The "Reports" page in the browser (called by browser_test.mjs with an administrator's page): the
// servers and a report configured through the page (a bad recipient is refused next to its field),
// "send a test report now" to a real SMTP server (Debian's aiosmtpd, started here on loopback,
// AUTH required), the result and the message that arrived; then the SMTP server is stopped and the
// failure is shown in words, in the card's last results and in the audit log.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function startSmtp(root, mailDir) {
  const child = spawn('/usr/bin/python3', [join(root, 'sdk/reports/testdata/smtp_server.py'), 'plain', '0', '-', '-',
    mailDir, 'reporter', 's3cret-pass'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('aiosmtpd did not start')), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(timer); resolve({ child, port: Number(out.trim()) }); }
    });
    child.on('exit', () => { clearTimeout(timer); reject(new Error('aiosmtpd exited')); });
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return; // gone already
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

export async function testReports({ page, url, root, check, shot, layout, axe, go, newPage }) {
  const mailDir = mkdtempSync(join(tmpdir(), 'ews-mail-'));
  const smtp = await startSmtp(root, mailDir);
  try {
    await go(page, `${url}/#/reports`);
    // The previous page's title stays until the lazily loaded page draws its own: wait for that.
    await page.waitForFunction(() => /Automatic reports/.test(document.querySelector('h1')?.textContent || ''), null,
      { timeout: 15000 }).catch(() => {});
    check('reports: the administrator has a Reports page', /Automatic reports/.test(await page.locator('h1').textContent()));

    // The servers: the local aiosmtpd, plain SMTP with AUTH.
    await page.getByRole('button', { name: 'Servers' }).click();
    await page.fill('#server-email-smtp-host', '127.0.0.1');
    await page.fill('#server-email-smtp-port', String(smtp.port));
    await page.selectOption('#server-email-smtp-tls_mode', 'TLS_MODE_NONE');
    await page.fill('#server-email-smtp-username', 'reporter');
    await page.fill('#server-email-smtp-password', 's3cret-pass');
    await page.fill('#server-email-from_address', 'ews@example.com');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('.notice', { timeout: 10000 });
    check('reports: the SMTP server is saved', /Servers saved/.test(await page.locator('.notice').textContent()));

    // A report with a bad recipient: refused next to the recipients field.
    await page.getByRole('button', { name: 'Add a report' }).click();
    await page.fill('#report-name', 'daily-site');
    await page.selectOption('#report-language', 'REPORT_LANGUAGE_ENGLISH');
    await page.fill('#report-recipients', 'ops@example.com\nbob@');
    await page.locator('.report-devices input[type=checkbox]').first().check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('#report-recipients-error', { timeout: 10000 });
    const fieldError = await page.locator('#report-recipients-error').textContent();
    check('reports: a bad recipient is refused next to its field', /"bob@" is not an e-mail address/.test(fieldError)
      && await page.locator('#report-recipients').getAttribute('aria-invalid') === 'true', fieldError);
    await shot(page, 'reports-form-390');
    await page.fill('#report-recipients', 'ops@example.com\nboss@example.com');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('.card.report[data-report="daily-site"]', { timeout: 10000 });
    const card = page.locator('.card.report[data-report="daily-site"]');
    check('reports: the report is listed with its configuration',
      /Daily/.test(await card.textContent()) && /ops@example.com, boss@example.com/.test(await card.textContent()),
      (await card.textContent()).slice(0, 200));

    // Send a test report now: it reaches aiosmtpd, the card says so and its last results show it.
    await card.getByRole('button', { name: 'Send a test report now' }).click();
    await card.locator('[role=status]').waitFor({ timeout: 60000 });
    check('reports: "send a test report now" says it was sent',
      /Test report sent/.test(await card.locator('[role=status]').textContent()), await card.locator('[role=status]').textContent());
    const arrived = existsSync(join(mailDir, '1.eml')) ? readFileSync(join(mailDir, '1.eml'), 'latin1') : '';
    check('reports: the message arrived at the SMTP server (AUTH), to both recipients',
      /Subject: EWS: daily report/.test(arrived)
      && readFileSync(join(mailDir, '1.eml.rcpt'), 'utf8') === 'ews@example.com\nops@example.com\nboss@example.com',
      arrived.slice(0, 120));
    await card.locator('.report-results li[data-ok="true"]').waitFor({ timeout: 15000 }).catch(() => {});
    check('reports: the last results show the delivery as sent',
      await card.locator('.report-results li[data-ok="true"]').count() === 1);
    await layout(page, '390 px reports');
    await axe(page, 'the reports page');
    await shot(page, 'reports-390');

    // The SMTP server goes away: the failure in words, in the card and the audit log.
    await stop(smtp.child);
    await card.getByRole('button', { name: 'Send a test report now' }).click();
    await card.locator('[role=status].error-text').waitFor({ timeout: 60000 }).catch(() => {});
    const failure = await card.locator('[role=status]').textContent();
    check('reports: a failed delivery is shown in words', /not delivered: .*connect/i.test(failure), failure);
    await card.locator('.report-results li[data-ok="false"]').waitFor({ timeout: 15000 }).catch(() => {});
    const result = await card.locator('.report-results').textContent();
    check('reports: the last results show the failure and the queued retry',
      /failed/.test(result) && /Queued for smtp:\/\/127\.0\.0\.1/.test(result), result.slice(0, 300));
    await go(page, `${url}/#/admin`);
    await page.waitForSelector('.audit-entry', { timeout: 15000 });
    check('reports: the audit log has the test, the delivery sent and the one failed',
      await page.locator('.audit-entry[data-action="report.test"]').count() >= 2
      && await page.locator('.audit-entry[data-action="report.sent"]').count() >= 1
      && await page.locator('.audit-entry[data-action="report.failed"]').count() >= 1);

    // The desktop screenshot for the manual.
    const desktop = await newPage(1280, 800, 'en-GB', await page.context().storageState());
    await go(desktop.page, `${url}/#/reports`);
    await desktop.page.waitForSelector('.card.report .report-results li', { timeout: 15000 });
    await shot(desktop.page, 'reports-1280');
    // Remove asks first, then the report is gone from the page and the configuration.
    const desktopCard = desktop.page.locator('.card.report[data-report="daily-site"]');
    await desktopCard.getByRole('button', { name: 'Remove' }).click();
    await desktopCard.getByRole('button', { name: 'Yes, remove' }).click();
    await desktop.page.waitForSelector('.notice', { timeout: 10000 });
    // The notice comes with the server's answer; the list is read again after it.
    await desktop.page.waitForFunction(() => document.querySelectorAll('.card.report').length === 0, null,
      { timeout: 10000 }).catch(() => {});
    const removedNotice = (await desktop.page.locator('.notice').allTextContents()).join(' | ');
    const cardsLeft = await desktop.page.locator('.card.report').count();
    check('reports: a report can be removed (after a confirmation)',
      /Report daily-site removed/.test(removedNotice) && cardsLeft === 0, `${removedNotice}; ${cardsLeft} card(s) left`);
    await desktop.context.close();
  } finally {
    await stop(smtp.child);
    rmSync(mailDir, { recursive: true, force: true });
  }
}
