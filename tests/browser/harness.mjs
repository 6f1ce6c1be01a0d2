// The browser tests' harness (docs/testing.md "Browser"): Debian's chromium,
// headless, driven by puppeteer-core (installed by scripts/setup.sh into
// build/browser), a server program started with its URL read from its
// output, a page that records every request, failure and dialog, and a
// small test runner. Reused by every tests/browser/*.mjs.
//
//   import { launchBrowser, startProgram, openPage, waitFor, test, run } from './harness.mjs';
//   test('shows the version', async () => {
//     const app = await startProgram([fixture]);           // reads "… http://127.0.0.1:PORT/?token=…"
//     const browser = await launchBrowser();
//     const view = await openPage(browser, app.url);
//     await view.waitForText('#running-version', '1.0.0');
//     assert.deepEqual(view.failures, []);
//   });
//   await run();
//
// Environment: UPKEEP_BROWSER_MODULES (a node_modules holding
// puppeteer-core; default: $UPKEEP_BUILD_DIR/browser/node_modules, then
// $UPKEEP_SOURCE_DIR/build/browser/node_modules), UPKEEP_CHROMIUM (default
// /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.UPKEEP_SOURCE_DIR || path.resolve(here, '..', '..');
export const buildDir = process.env.UPKEEP_BUILD_DIR || path.join(sourceDir, 'build');

// --- puppeteer-core and chromium ---------------------------------------------------

function modulesDir() {
  const candidates = [process.env.UPKEEP_BROWSER_MODULES, path.join(buildDir, 'browser', 'node_modules'),
    path.join(sourceDir, 'build', 'browser', 'node_modules')].filter(Boolean);
  const found = candidates.find((dir) => existsSync(path.join(dir, 'puppeteer-core', 'package.json')));
  if (!found) throw new Error(`puppeteer-core is not installed (looked in ${candidates.join(', ')}): run scripts/setup.sh`);
  return found;
}

let puppeteer = null;
export async function loadPuppeteer() {
  if (!puppeteer) {
    const require = createRequire(path.join(modulesDir(), 'index.js'));
    const entry = require.resolve('puppeteer-core');
    puppeteer = (await import(pathToFileURL(entry).href)).default;
  }
  return puppeteer;
}

// Headless chromium; as root it needs --no-sandbox (its sandbox refuses to run as root).
export async function launchBrowser({ width = 720, height = 900, colorScheme = 'light' } = {}) {
  const executablePath = process.env.UPKEEP_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no chromium at ${executablePath}: run scripts/setup.sh`);
  const args = ['--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-extensions', '--disable-background-networking', `--window-size=${width},${height}`];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const pp = await loadPuppeteer();
  const browser = await pp.launch({ executablePath, headless: true, args, defaultViewport: { width, height } });
  browser.colorScheme = colorScheme;
  return browser;
}

// --- a server program -------------------------------------------------------------------

// Starts `argv` in its own process group, stdout piped (lines kept), stderr
// inherited, stdin a pipe for send(). Resolves once a line holds a URL.
export async function startProgram(argv, { env = {}, timeoutMs = 15000,
  urlPattern = /(http:\/\/(?:127\.0\.0\.1|localhost):\d+\/\S*)/ } = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'], detached: true,
  });
  const program = new Program(child, argv[0]);
  const match = await program.waitForLine(urlPattern, timeoutMs);
  program.url = match[1];
  return program;
}

class Program {
  constructor(child, name) {
    this.child = child;
    this.name = path.basename(name);
    this.lines = [];
    this.exited = null;
    this.waiters = [];
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.lines.push(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      this.wake();
    });
    child.stdout.on('end', () => { this.outputEnded = true; this.wake(); });
    child.on('exit', (code, signal) => { this.exited = { code, signal }; this.wake(); });
    child.stdin.on('error', () => {});  // a program that quit: send() then fails in waitForLine
  }

  wake() { for (const w of this.waiters.splice(0)) w(); }

  // Resolves with the match of the first line from index `from` on that matches; rejects after timeoutMs.
  waitForLine(pattern, timeoutMs = 10000, from = 0) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `${this.name}: no line matching ${pattern} within ${timeoutMs} ms; it wrote:\n${this.lines.join('\n')}`)), timeoutMs);
      const look = () => {
        for (let i = from; i < this.lines.length; i++) {
          const m = this.lines[i].match(pattern);
          if (m) { clearTimeout(timer); resolve(m); return; }
        }
        if (this.outputEnded) {
          clearTimeout(timer);
          reject(new Error(`${this.name} closed its output (${JSON.stringify(this.exited)}) before ${pattern}:\n${this.lines.join('\n')}`));
          return;
        }
        this.waiters.push(look);
      };
      look();
    });
  }

  // Sends one line; resolves with the first matching reply line that follows (default: "ok N").
  async send(line, reply = /^(ok|error)\b(.*)$/, timeoutMs = 10000) {
    const from = this.lines.length;
    this.child.stdin.write(`${line}\n`);
    const m = await this.waitForLine(reply, timeoutMs, from);
    if (m[1] === 'error') throw new Error(`${this.name} refused "${line}":${m[2]}`);
    return m;
  }

  // Ends the whole process group (a program's hand-over copies too) and waits for the first process.
  async stop(signal = 'SIGTERM') {
    try { process.kill(-this.child.pid, signal); } catch { /* already gone */ }
    if (!this.exited) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

// --- a page ---------------------------------------------------------------------------------

// Opens `url` in a new page and records, from the start: every request
// (`requests`: {url, method, at}), every failure (`failures`: failed
// requests, HTTP status >= 400, uncaught page errors, console errors) and
// every dialog (`dialogs`, each dismissed).
export async function openPage(browser, url, { waitUntil = 'load', reducedMotion = false } = {}) {
  const page = await browser.newPage();
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: browser.colorScheme || 'light' },
    { name: 'prefers-reduced-motion', value: reducedMotion ? 'reduce' : 'no-preference' }]);
  const view = { page, requests: [], failures: [], dialogs: [] };
  page.on('request', (r) => view.requests.push({ url: r.url(), method: r.method(), at: Date.now() }));
  page.on('requestfailed', (r) => view.failures.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) view.failures.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
  page.on('pageerror', (e) => view.failures.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') view.failures.push(`console error: ${m.text()}`); });
  page.on('dialog', async (d) => { view.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  view.text = (selector) => page.$eval(selector, (el) => el.textContent.trim()).catch(() => null);
  view.visible = (selector) => page.$eval(selector, (el) => !el.closest('[hidden]') && el.getClientRects().length > 0)
    .catch(() => false);
  // Resolves once the element's text matches (a string: contains it); event-driven (a DOM mutation observer).
  view.waitForText = (selector, expected, timeoutMs = 10000) => page.waitForFunction((sel, source, flags, plain) => {
    const el = document.querySelector(sel);
    if (!el || el.closest('[hidden]')) return false;
    const text = el.textContent;
    return plain !== null ? text.includes(plain) : new RegExp(source, flags).test(text);
  }, { polling: 'mutation', timeout: timeoutMs }, selector, expected instanceof RegExp ? expected.source : '',
  expected instanceof RegExp ? expected.flags : '', expected instanceof RegExp ? null : expected)
    .catch(async (e) => {
      throw new Error(`${selector} never showed ${expected} within ${timeoutMs} ms; it shows "${await view.text(selector)}" (${e.message})`);
    });
  view.requestsSince = (index) => view.requests.slice(index).map((r) => `${r.method} ${r.url}`);
  await page.goto(url, { waitUntil });
  return view;
}

// Waits until `predicate` (sync or async) returns a truthy value, checking
// after each page or program event and at least every 50 ms; rejects after timeoutMs naming `what`.
export async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { last = await predicate(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// --- a tiny runner -----------------------------------------------------------------------------

const tests = [];
export function test(name, fn, { timeoutMs = 60000 } = {}) { tests.push({ name, fn, timeoutMs }); }

// Runs the tests in order (or those whose name contains argv[2]); prints
// one line each with its time; exits 1 when one failed.
export async function run() {
  const filter = process.argv[2] || '';
  let failed = 0;
  const started = Date.now();
  const chosen = tests.filter((x) => x.name.includes(filter));
  for (const t of chosen) {
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([t.fn(), new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
      })]);
      console.log(`ok - ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n  ${String(e.stack || e).replace(/\n/g, '\n  ')}`);
    } finally {
      clearTimeout(timer);
      await cleanupAll();
    }
  }
  console.log(`${failed ? 'FAILED' : 'passed'}: ${chosen.length - failed}/${chosen.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed ? 1 : 0);
}

// Things a test opened, closed after it whatever happened (register with cleanup()).
const cleanups = [];
export function cleanup(fn) { cleanups.push(fn); return fn; }
async function cleanupAll() {
  for (const fn of cleanups.splice(0).reverse()) {
    try { await fn(); } catch (e) { console.log(`  (clean-up: ${e.message})`); }
  }
}
