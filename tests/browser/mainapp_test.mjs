// mainapp's web UI end to end in a real browser (docs/integration.md "The
// reference app"): mainapp 1.0.0 and 2.0.0 released with the real `upkeep`,
// served, 1.0.0 installed and started through its launcher with
// `--ui web --no-browser`; the page (with its token) shows 1.0.0, then,
// after "Check for updates", the download's progress arriving live over the
// event stream, and "Restart to update" brings the same page, on the same
// URL, to 2.0.0 without a failed request; state.db says 2.0.0 is good.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDir, cleanup, launchBrowser, openPage, run, startProgram, test } from './harness.mjs';

const upkeep = path.join(buildDir, 'upkeep');

// A release folder of the built mainapp, debug info stripped (a smaller package).
function releaseFolder(work, version) {
  const dir = path.join(work, `build-${version}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(buildDir, 'mainapp'), path.join(dir, 'mainapp'));
  execFileSync('strip', ['--strip-debug', path.join(dir, 'mainapp')]);
  writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
  return dir;
}

function release(work, version, notes) {
  const args = ['release', releaseFolder(work, version), '--version', version, '--keys', path.join(work, 'keys'),
    '--repo', path.join(work, 'repo'), '--no-delta'];
  if (notes) {
    writeFileSync(path.join(work, `notes-${version}`), notes);
    args.push('--notes', path.join(work, `notes-${version}`));
  }
  execFileSync(upkeep, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

// Records every state event the page receives, in order (installed before the page's own script runs).
function recordStates() {
  window.__states = [];
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('state', (e) => window.__states.push(JSON.parse(e.data)));
    }
  };
}

test('mainapp: the page follows 1.0.0 finding, downloading and staging 2.0.0, restarts into it and shows 2.0.0', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'mainapp-browser-'));
  cleanup(() => rmSync(work, { recursive: true, force: true }));
  const env = { XDG_DATA_HOME: path.join(work, 'xdg/data'), XDG_CONFIG_HOME: path.join(work, 'xdg/config'),
    XDG_STATE_HOME: path.join(work, 'xdg/state'), XDG_CACHE_HOME: path.join(work, 'xdg/cache'), DISPLAY: '' };
  execFileSync(upkeep, ['keys', 'init', '--app-id', 'demo', '--keys', path.join(work, 'keys'), '--repo',
    path.join(work, 'repo')], { stdio: 'ignore' });
  release(work, '1.0.0');
  const server = await startProgram([upkeep, 'serve', path.join(work, 'repo'), '--port', '0']);
  cleanup(() => server.stop());
  const prefix = path.join(work, 'app');
  execFileSync(upkeep, ['install', '--repo', server.url, '--prefix', prefix, '--version', '1.0.0', '--trusted-root',
    path.join(work, 'repo', 'metadata', '1.root.json')], { env: { ...process.env, ...env }, stdio: 'ignore' });

  const app = await startProgram([path.join(prefix, 'demo'), '--ui', 'web', '--no-browser'], { env });
  let newPid = null;
  cleanup(async () => {
    if (newPid) try { process.kill(newPid, 'SIGTERM'); } catch { /* gone */ }
    await app.stop();
  });
  assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
  await app.waitForLine(/^up to date \(1\.0\.0\)$/, 30000);

  const browser = await launchBrowser();
  cleanup(() => browser.close());
  const view = await openPage(browser, 'about:blank');
  await view.page.evaluateOnNewDocument(recordStates);
  await view.page.goto(app.url, { waitUntil: 'load' });
  await view.waitForText('#running-version', '1.0.0');
  await view.waitForText('#status-title', 'up to date');

  release(work, '2.0.0', 'Starts **faster**.');
  await view.page.click('#check');
  await view.waitForText('#status-title', 'Version 2.0.0 is ready', 60000);
  await view.waitForText('#notes', 'Starts faster.');
  const states = await view.page.evaluate(() => window.__states);
  const phases = states.map((s) => s.phase);
  assert.ok(phases.includes('checking'), `phases seen: ${phases}`);
  const downloading = states.filter((s) => s.phase === 'downloading' && s.bytes_total > 0);
  assert.ok(downloading.length > 0, `no progress arrived: ${phases}`);
  assert.ok(downloading.at(-1).bytes_done <= downloading.at(-1).bytes_total);
  assert.ok(phases.indexOf('staged') > phases.indexOf('downloading'));

  const from = app.lines.length;
  await view.page.click('#restart');
  const started = await app.waitForLine(/^mainapp 2\.0\.0 running \(pid (\d+)\)$/, 60000, from);
  newPid = Number(started[1]);
  const again = await app.waitForLine(/^web UI: (\S+)$/, 30000, from);
  assert.equal(again[1], app.url, 'the new version serves the same URL');
  await view.waitForText('#running-version', '2.0.0', 60000);
  await app.waitForLine(/^updated from 1\.0\.0 to 2\.0\.0: healthy start confirmed$/, 30000, from);
  assert.deepEqual(view.failures, []);
  assert.deepEqual(view.dialogs, []);

  const status = JSON.parse(execFileSync(path.join(prefix, 'demo'), ['--upkeep-status', '--upkeep-json'], { env: { ...process.env, ...env } }));
  const v2 = status.versions.find((v) => v.version === '2.0.0');
  assert.equal(v2?.state, 'good');
}, { timeoutMs: 180000 });

await run();
