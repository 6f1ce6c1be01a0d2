// One PNG of the web UI per update state, for docs/web-ui.md:
//   node tests/browser/screenshots.mjs [out dir, default docs/screenshots]
// (CTest's browser_screenshots writes them into the build folder, to check the script works.)
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { buildDir, launchBrowser, openPage, sourceDir, startProgram } from './harness.mjs';

const fixture = process.env.UPKEEP_WEBUI_FIXTURE || path.join(buildDir, 'tests', 'webui_fixture');
const outDir = path.resolve(process.argv[2] || path.join(sourceDir, 'docs', 'screenshots'));
const MB = 1000 * 1000;

const notes = `## Faster, calmer sync

- Sync starts **twice as fast** on large libraries
- Notes open where you left them
- Fixed a crash when the \`--offline\` flag met an empty folder

Details in the [changelog](https://example.com/acme-notes/changelog).`;

const staged = { phase: 'staged', version: '2.1.0', notes, prompt: 'ask', can_skip: true };
const shots = [
  ['up-to-date', { phase: 'up_to_date' }],
  ['checking', { phase: 'checking' }],
  ['downloading', { phase: 'downloading', version: '2.1.0', notes, bytes_done: 31.4 * MB, bytes_total: 48.2 * MB,
    bytes_per_second: 4.2 * MB, eta_seconds: 4 }],
  ['staged', staged],
  ['forced', { ...staged, prompt: 'forced', can_skip: false, restart_in: 272,
    required_by: 'policy /etc/upkeep/policies/acme.json' }],
  ['failed', { phase: 'failed', version: '', notes: '',
    error: 'The update server did not answer: connection refused (https://updates.example.com/acme-notes/)' }],
  ['staged-dark', staged, 'dark'],
];

mkdirSync(outDir, { recursive: true });
const app = await startProgram([fixture, '--app-name', 'Acme Notes', '--running', '2.0.3']);
const browsers = {};
try {
  for (const [name, fields, scheme = 'light'] of shots) {
    browsers[scheme] ??= await launchBrowser({ width: 640, height: 100, colorScheme: scheme })  // fullPage: as tall as the page;
    await app.send('reset');
    await app.send(`set ${JSON.stringify(fields)}`);
    const view = await openPage(browsers[scheme], app.url, { reducedMotion: true });  // still frames
    await view.page.waitForFunction((phase) => document.getElementById('status').dataset.phase === phase, {},
      fields.phase);
    await view.page.evaluate(() => document.fonts.ready);
    const file = path.join(outDir, `${name}.png`);
    await view.page.screenshot({ path: file, fullPage: true });
    if (view.failures.length) throw new Error(`${name}: ${view.failures.join('; ')}`);
    await view.page.close();
    console.log(`wrote ${file}`);
  }
} finally {
  for (const b of Object.values(browsers)) await b.close();
  await app.stop();
}
