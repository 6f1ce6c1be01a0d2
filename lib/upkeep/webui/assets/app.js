// The web UI's behaviour: one event stream (server-sent events) brings the
// update state; the buttons post the user's choice. No polling, no
// framework. The only HTML inserted is the server's rendered release notes.
'use strict';

(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);
  let firstVersion = null;  // the running version when this page first heard from the app
  let source = null;
  let retryTimer = null;
  let countdownTimer = null;
  let shownNotes = null;    // the notes HTML in the page

  // --- formatting ------------------------------------------------------------
  function bytes(n) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return i === 0 ? `${n} bytes` : `${n.toFixed(n < 100 ? 1 : 0)} ${units[i]}`;
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return `${seconds} s`;
    const m = Math.floor(seconds / 60), s = seconds % 60;
    if (m < 60) return s ? `${m} min ${s} s` : `${m} min`;
    const h = Math.floor(m / 60);
    return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  }
  function clock(seconds) {  // 4:05, 1:02:03
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    const two = (x) => String(x).padStart(2, '0');
    return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
  }
  function setText(id, text) {
    const el = $(id);
    el.textContent = text;
    el.hidden = !text;
  }

  // --- what each phase says ------------------------------------------------------
  const phases = {
    idle: () => ['Waiting to check for updates', 'The first check starts in a moment.'],
    checking: () => ['Checking for updates…', 'Asking the update server for a newer version.'],
    up_to_date: (s) => ['You’re up to date', `Version ${s.running_version} is the newest version.`],
    downloading: (s) => [`Downloading version ${s.version}`, s.critical ? 'A critical update.' : ''],
    verifying: (s) => [`Verifying version ${s.version}`, 'Checking signatures and unpacking.'],
    staged: (s) => [`Version ${s.version} is ready`,
      s.prompt === 'forced' ? 'Restart now, or it restarts by itself at the deadline.'
        : s.dismissed ? 'Postponed: it installs the next time the app starts.'
          : 'Restart to install it. It takes a few seconds.'],
    failed: (s) => ['The update did not go through', s.error || 'The last check failed.'],
    updates_off: (s) => ['Updates are turned off', s.error || 'Managed policy turned updates off.'],
    restarting: (s) => ['Restarting…', `Installing version ${s.version}. This page reconnects by itself.`],
    not_managed: () => ['Updates are not managed here', 'This copy was not started by its launcher, so it does not update itself.'],
  };

  function renderProgress(s) {
    const bar = $('progress');
    const active = s.phase === 'downloading' || s.phase === 'verifying';
    bar.hidden = !active;
    if (!active) { setText('progress-text', ''); return; }
    const known = s.phase === 'downloading' && s.bytes_total > 0;
    bar.classList.toggle('indeterminate', !known);
    const percent = known ? Math.min(100, (100 * s.bytes_done) / s.bytes_total) : 0;
    $('progress-bar').style.width = known ? `${percent.toFixed(1)}%` : '';
    if (known) bar.setAttribute('aria-valuenow', percent.toFixed(0)); else bar.removeAttribute('aria-valuenow');
    if (s.phase !== 'downloading') { setText('progress-text', ''); return; }
    const parts = [known ? `${bytes(s.bytes_done)} of ${bytes(s.bytes_total)}` : `${bytes(s.bytes_done)}`];
    if (s.bytes_per_second > 0) parts.push(`${bytes(s.bytes_per_second)}/s`);
    if (s.eta_seconds !== null && s.eta_seconds !== undefined) parts.push(`about ${duration(s.eta_seconds)} left`);
    setText('progress-text', parts.join(' · '));
  }

  function bannerText(s) {
    if (s.prompt === 'forced' && s.restart_at) {
      const left = (s.restart_at * 1000 - Date.now()) / 1000;
      const who = s.required_by ? `Required by ${s.required_by}: ` : 'Required: ';
      return [who, `the app restarts to install version ${s.version} in `, clock(left), '.'];
    }
    if (s.dismissed) return null;
    if (s.prompt === 'remind') return [`Reminder: version ${s.version} is still waiting for a restart.`];
    if (s.prompt === 'ask' || s.prompt === 'notify')
      return [`${s.critical ? 'A critical update' : 'An update'} is ready. Restart when it suits you.`];
    return null;
  }

  function renderBanner(s) {
    const banner = $('banner');
    let parts = s.phase === 'staged' || s.phase === 'restarting' ? bannerText(s) : null;
    let kind = s.prompt;
    if (!parts && firstVersion && s.running_version !== firstVersion) {
      parts = [`Updated to version ${s.running_version}.`];
      kind = 'done';
    }
    banner.hidden = !parts;
    if (!parts) return;
    banner.className = `banner ${kind}`;
    const p = $('banner-text');
    p.replaceChildren();
    parts.forEach((text, i) => {
      if (kind === 'forced' && i === 2) {
        const strong = document.createElement('span');
        strong.className = 'countdown';
        strong.id = 'countdown';
        strong.textContent = text;
        p.append(strong);
      } else {
        p.append(text);
      }
    });
  }

  function renderActions(s) {
    const staged = s.phase === 'staged';
    $('restart').hidden = !staged;
    $('later').hidden = !staged || s.dismissed || s.prompt === 'forced';
    $('skip').hidden = !staged || !s.can_skip;
    const check = ['idle', 'up_to_date', 'failed'].includes(s.phase);
    $('check').hidden = !check;
    $('check').textContent = s.phase === 'failed' ? 'Try again' : 'Check for updates';
  }

  function render(s) {
    if (firstVersion === null) firstVersion = s.running_version;
    document.title = `${s.app_name} · Updates`;
    setText('app-name', s.app_name);
    $('running-version').textContent = s.running_version || 'unknown';
    const [title, detail] = (phases[s.phase] || (() => ['Unknown state', '']))(s);
    $('status').dataset.phase = s.phase;
    $('status-title').textContent = title;
    setText('status-detail', detail);
    renderProgress(s);
    const showNotes = (s.phase === 'staged' || s.phase === 'downloading' || s.phase === 'verifying') && s.notes_html;
    $('notes-section').hidden = !showNotes;
    if (showNotes) {
      $('notes-version').textContent = s.version;
      if (shownNotes !== s.notes_html) {  // not on every progress event: the reader keeps their place
        $('notes').innerHTML = s.notes_html;  // rendered and escaped by the app (MarkdownHtml)
        shownNotes = s.notes_html;
      }
    }
    renderBanner(s);
    renderActions(s);
    clearInterval(countdownTimer);
    countdownTimer = null;
    if (s.prompt === 'forced' && s.restart_at && s.phase === 'staged') {
      countdownTimer = setInterval(() => {
        const el = $('countdown');
        if (el) el.textContent = clock((s.restart_at * 1000 - Date.now()) / 1000);
      }, 1000);
    }
  }

  // --- the event stream ------------------------------------------------------------
  function setConnected(connected) {
    $('connection').hidden = connected;
    $('card').classList.toggle('offline', !connected);
  }

  function connect() {
    source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
    source.addEventListener('state', (e) => {
      setConnected(true);
      render(JSON.parse(e.data));
    });
    source.onopen = () => setConnected(true);
    source.onerror = () => {
      setConnected(false);
      // EventSource retries by itself after a dropped stream; after a refused one it gives up, so retry here.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, 2000);
      }
    };
  }

  // --- the buttons -------------------------------------------------------------------
  async function act(name, button) {
    button.disabled = true;
    setText('action-error', '');
    try {
      const reply = await fetch(`/action/${name}`, {
        method: 'POST', headers: { 'X-Upkeep-Token': token }, cache: 'no-store',
      });
      await reply.arrayBuffer();  // read to its end (an unread reply counts as aborted)
      if (!reply.ok) setText('action-error', `The app refused: ${reply.status} ${reply.statusText}`);
    } catch (err) {
      setText('action-error', `The app did not answer (${err.message}).`);
    } finally {
      button.disabled = false;
    }
  }

  for (const name of ['restart', 'later', 'skip', 'check'])
    $(name).addEventListener('click', (e) => act(name, e.currentTarget));
  $('status').dataset.phase = 'connecting';
  connect();
})();
