// The web UI (WebUiServer, lib/upkeep/webui/) in Debian's chromium: the
// page, its live updates, its buttons, hostile release notes and a
// zero-downtime restart, against webui_fixture (a scripted model driven
// through its stdin). Run by CTest (label `browser`) or by hand:
//   UPKEEP_WEBUI_FIXTURE=build/tests/webui_fixture node tests/browser/webui_test.mjs [name filter]
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, cleanup, launchBrowser, openPage, run, startProgram, test, waitFor } from './harness.mjs';

const fixture = process.env.UPKEEP_WEBUI_FIXTURE || path.join(buildDir, 'tests', 'webui_fixture');
const MB = 1000 * 1000;

async function setUp(args = []) {
  const app = await startProgram([fixture, ...args]);
  cleanup(() => app.stop());
  const browser = await launchBrowser();
  cleanup(() => browser.close());
  const view = await openPage(browser, app.url);
  return { app, browser, view };
}

const set = (app, fields) => app.send(`set ${JSON.stringify(fields)}`);

test('the page with its token shows the app, its version and the state', async () => {
  const { view } = await setUp(['--app-name', 'Acme Notes', '--running', '1.4.2']);
  await view.waitForText('#running-version', '1.4.2');
  await view.waitForText('#status-title', 'You’re up to date');
  assert.equal(await view.text('#app-name'), 'Acme Notes');
  assert.equal(await view.page.title(), 'Acme Notes · Updates');
  assert.ok(await view.visible('#check'), 'the "Check for updates" button');
  assert.ok(!(await view.visible('#restart')), 'no "Restart to update" without a staged version');
  assert.deepEqual(view.failures, []);
  assert.deepEqual(view.dialogs, []);
});

test('every phase says what it means', async () => {
  const { app, view } = await setUp(['--running', '1.0.0']);
  const phases = [
    [{ phase: 'idle' }, 'Waiting to check for updates', 'The first check starts in a moment.'],
    [{ phase: 'checking' }, 'Checking for updates…', 'Asking the update server'],
    [{ phase: 'up_to_date' }, 'You’re up to date', 'Version 1.0.0 is the newest version.'],
    [{ phase: 'downloading', version: '2.0.0', bytes_done: 0, bytes_total: 0 }, 'Downloading version 2.0.0', ''],
    [{ phase: 'verifying' }, 'Verifying version 2.0.0', 'Checking signatures'],
    [{ phase: 'staged' }, 'Version 2.0.0 is ready', 'Restart to install it.'],
    [{ phase: 'failed', error: 'disk full (/opt/app/staging)' }, 'The update did not go through', 'disk full'],
    [{ phase: 'updates_off', error: 'turned off by policy /etc/upkeep/policies/acme.json' }, 'Updates are turned off',
      'policy /etc/upkeep/policies/acme.json'],
    [{ phase: 'restarting' }, 'Restarting…', 'This page reconnects by itself.'],
    [{ phase: 'not_managed' }, 'Updates are not managed here', 'not started by its launcher'],
  ];
  for (const [fields, title, detail] of phases) {
    await set(app, fields);
    await view.waitForText('#status-title', title);
    if (detail) await view.waitForText('#status-detail', detail);
    assert.equal(await view.page.$eval('#status', (el) => el.dataset.phase), fields.phase);
  }
  assert.deepEqual(view.failures, []);
});

test('progress arrives live over the event stream, without polling', async () => {
  const { app, view } = await setUp();
  await view.waitForText('#status-title', 'up to date');
  const before = view.requests.length;  // the page, its resources and the one event stream

  await set(app, { phase: 'checking' });
  await view.waitForText('#status-title', 'Checking for updates');
  const notes = '## Faster sync\n\n- Sync starts *twice* as fast\n- Fixed `--offline`';
  await set(app, { phase: 'downloading', version: '2.0.0', bytes_done: 1.5 * MB, bytes_total: 12 * MB,
    bytes_per_second: 2.5 * MB, eta_seconds: 4, notes });
  await view.waitForText('#status-title', 'Downloading version 2.0.0');
  await view.waitForText('#progress-text', '1.5 MB of 12.0 MB · 2.5 MB/s · about 4 s left');
  const width1 = await view.page.$eval('#progress-bar', (el) => el.style.width);
  const item = await view.page.$('#notes li');
  await set(app, { bytes_done: 9 * MB, eta_seconds: 1 });
  await view.waitForText('#progress-text', '9.0 MB of 12.0 MB');
  assert.ok(await item.evaluate((el) => el.isConnected), 'the notes are not rebuilt on each progress event');
  const width2 = await view.page.$eval('#progress-bar', (el) => el.style.width);
  assert.equal(width1, '12.5%');
  assert.equal(width2, '75%');
  await set(app, { phase: 'verifying' });
  await view.waitForText('#status-title', 'Verifying version 2.0.0');
  await set(app, { phase: 'staged', prompt: 'ask', can_skip: true });
  await view.waitForText('#status-title', 'Version 2.0.0 is ready');
  await view.waitForText('#notes li', 'Sync starts twice as fast');
  assert.equal(await view.page.$eval('#notes em', (el) => el.textContent), 'twice');

  assert.deepEqual(view.requestsSince(before), [], 'five changes arrived without one request');
  const streams = view.requests.filter((r) => new URL(r.url).pathname === '/events');
  assert.equal(streams.length, 1, 'one event stream');
  assert.deepEqual(view.failures, []);
});

test('each button reaches the model', async () => {
  const { app, view } = await setUp();
  await set(app, { phase: 'staged', version: '2.0.0', prompt: 'ask', can_skip: true });
  await view.waitForText('#status-title', 'Version 2.0.0 is ready');
  for (const [button, action] of [['#later', 'later'], ['#skip', 'skip'], ['#restart', 'restart']]) {
    const from = app.lines.length;
    await view.page.click(button);
    await app.waitForLine(new RegExp(`^action ${action}$`), 5000, from);
  }
  await set(app, { can_skip: false });
  await waitFor(async () => !(await view.visible('#skip')), 5000, '"Skip this version" to hide when !can_skip');
  await set(app, { phase: 'failed', error: 'the update server did not answer (connection refused)' });
  await view.waitForText('#status-detail', 'connection refused');
  await view.waitForText('#check', 'Try again');
  const from = app.lines.length;
  await view.page.click('#check');
  await app.waitForLine(/^action check$/, 5000, from);
  assert.deepEqual(view.failures, []);
});

test('hostile release notes are shown as text and never run', async () => {
  const { app, view } = await setUp();
  const notes = [
    '# Release <script>alert("h1")</script>',
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(2)>',
    '[click me](javascript:alert(3))',
    '[quoted](https://example.com/" onmouseover="alert(4))',
    '[data](data:text/html,<script>alert(5)</script>)',
    '<iframe src="javascript:alert(6)"></iframe> <a href="javascript:alert(7)">raw link</a>',
    '**<svg onload=alert(8)>**',
    '```\n</code></pre><script>alert(9)</script>\n```',
    '[fine](https://example.com/changelog)',
  ].join('\n\n');
  await set(app, { phase: 'staged', version: '6.6.6', notes, prompt: 'ask' });
  await view.waitForText('#notes', 'alert(1)');
  const injected = await view.page.$$eval('#notes script, #notes img, #notes iframe, #notes svg, #notes [onerror], ' +
    '#notes [onload], #notes [onmouseover]', (els) => els.map((e) => e.outerHTML));
  assert.deepEqual(injected, []);
  const links = await view.page.$$eval('#notes a', (els) => els.map((a) => [a.getAttribute('href'), a.rel]));
  // The quote stays inside the (escaped) URL: no attribute is injected.
  assert.deepEqual(links, [['https://example.com/"', 'noopener noreferrer'],
    ['https://example.com/changelog', 'noopener noreferrer']]);
  const attributes = await view.page.$$eval('#notes *', (els) => [...new Set(els.flatMap((e) => e.getAttributeNames()))]);
  assert.deepEqual(attributes.sort(), ['href', 'rel', 'target']);
  const text = await view.text('#notes');
  assert.ok(text.includes('<script>alert(1)</script>'), 'the raw HTML shows as text');
  assert.ok(text.includes('<img src=x onerror=alert(2)>'));
  await view.page.hover('#notes h3');
  assert.equal(await view.page.evaluate(() => document.querySelectorAll('script').length), 1, 'only app.js');
  assert.deepEqual(view.dialogs, []);
  assert.deepEqual(view.failures, []);
});

test('the escalation: a calm prompt, a reminder, a forced countdown', async () => {
  const { app, view } = await setUp();
  await set(app, { phase: 'staged', version: '2.0.0', prompt: 'notify', can_skip: true });
  await view.waitForText('#banner-text', 'An update is ready');
  assert.equal(await view.page.$eval('#banner', (el) => el.className), 'banner notify');
  await set(app, { dismissed: true });
  await waitFor(async () => !(await view.visible('#banner')), 5000, '"Later" to hide the banner');
  await set(app, { dismissed: false, prompt: 'remind' });
  await view.waitForText('#banner-text', 'Reminder: version 2.0.0 is still waiting');
  await set(app, { prompt: 'forced', restart_in: 300, required_by: 'policy /etc/upkeep/policies/acme.json',
    can_skip: false });
  await view.waitForText('#banner-text', 'Required by policy /etc/upkeep/policies/acme.json');
  await view.waitForText('#countdown', /^[45]:\d\d$/);
  const first = await view.text('#countdown');
  await view.waitForText('#countdown', new RegExp(`^(?!${first}$)4:\\d\\d$`), 5000);  // it counts down
  assert.ok(!(await view.visible('#later')), 'no "Later" against a forced deadline');
  assert.ok(!(await view.visible('#skip')));
  assert.equal(await view.page.$eval('#banner', (el) => el.className), 'banner forced');
  assert.deepEqual(view.failures, []);
});

test('a restart on the same socket: the page reconnects and shows the new version, no request fails', async () => {
  const { app, view } = await setUp(['--running', '1.0.0']);
  await set(app, { phase: 'staged', version: '2.0.0', prompt: 'ask' });
  await view.waitForText('#status-title', 'Version 2.0.0 is ready');
  await set(app, { phase: 'restarting' });
  await view.waitForText('#status-title', 'Restarting');
  await view.page.evaluate(() => {  // remembers whether the page ever said it was reconnecting
    const pill = document.getElementById('connection');
    new MutationObserver(() => { if (!pill.hidden) window.sawReconnecting = pill.textContent; })
      .observe(pill, { attributes: true });
  });
  const from = app.lines.length;
  app.child.stdin.write('handover 2.0.0\n');  // a copy serves the same socket and token, then this one exits
  await app.waitForLine(/^url /, 15000, from);
  await view.waitForText('#running-version', '2.0.0', 15000);
  await view.waitForText('#banner-text', 'Updated to version 2.0.0');
  assert.equal(await view.page.evaluate(() => window.sawReconnecting), 'Reconnecting…');
  assert.ok(!(await view.visible('#connection')), 'connected again');
  assert.deepEqual(view.failures, []);
  assert.deepEqual(view.dialogs, []);
});

test('the page without its token or with a wrong one is refused', async () => {
  const { app, browser } = await setUp();
  const url = new URL(app.url);
  for (const token of [null, 'wrong', url.searchParams.get('token').replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))]) {
    const target = new URL(url);
    if (token === null) target.search = ''; else target.searchParams.set('token', token);
    const page = await browser.newPage();
    const reply = await page.goto(target.href);
    assert.equal(reply.status(), 403, `token ${token}`);
    await page.close();
  }
});

test('a page of another origin that knows the token can neither click nor listen', async () => {
  const { app, browser } = await setUp();
  const ours = new URL(app.url);
  // The attacker's page: another origin (localhost instead of 127.0.0.1: another site to the browser), its CSP
  // bypassed so its requests reach the app, where only the app's own checks stand.
  const page = await browser.newPage();
  await page.setBypassCSP(true);
  await page.goto(`http://localhost:${ours.port}/?token=${ours.searchParams.get('token')}`);
  const attempts = await page.evaluate(async (target, token) => {
    const out = [];
    for (const init of [{ method: 'POST', headers: { 'X-Upkeep-Token': token } }, { method: 'POST', mode: 'no-cors' },
      { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ token }) }]) {
      try {
        const r = await fetch(`${target}/action/restart?token=${token}`, init);
        out.push(`status ${r.status} (${r.type})`);
      } catch (e) {
        out.push(`refused: ${e.message}`);
      }
    }
    out.push(await new Promise((resolve) => {
      const source = new EventSource(`${target}/events?token=${token}`);
      source.addEventListener('state', () => { source.close(); resolve('got a state'); });
      source.onerror = () => { source.close(); resolve('stream refused'); };
    }));
    return out;
  }, `http://127.0.0.1:${ours.port}`, ours.searchParams.get('token'));
  assert.equal(attempts[0], 'refused: Failed to fetch');  // the preflight got 403
  assert.equal(attempts[3], 'stream refused');
  await app.send('reset');  // every request above was answered before this line is
  assert.deepEqual(app.lines.filter((l) => l.startsWith('action ')), [], 'no click reached the model');
  await page.close();
});

await run();
