// Browser test of the web console: Debian's Chromium driven by playwright-core, headless.
// Run by e2e's ConsoleBrowserIT, which starts a local cloud, seeds runs in every state and
// passes their ids here by environment:
//   CONSOLE_URL, SCREENSHOTS (dir), CHROMIUM (default /usr/bin/chromium),
//   DEMO_THREAD, DEMO_FIRST, DEMO_SECOND        two runs of one thread, both SUCCEEDED, in order
//   LIVE_THREAD, LIVE_RUNNING, LIVE_QUEUED, LIVE_CANCELLED   a RUNNING run, one QUEUED behind it, one CANCELLED
//   FAILED_THREAD, FAILED_RUN                   a FAILED run (a fatal agent error)
//   PAUSED_THREAD, PAUSED_QUEUED                a paused thread with a run QUEUED
//   VICTIM_THREAD, VICTIM_RUN                   a thread with one ended run, which pages of other origins try
//                                               to pause and to rerun (ConsoleBrowserIT then checks neither happened)
// Prints one line per check ("ok ..."), the screenshots' paths ("screenshot ..."), and exits 1 on the
// first failed check.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const CONSOLE = env('CONSOLE_URL');
const CONSOLE_PORT = new URL(CONSOLE).port;
const SHOTS = env('SCREENSHOTS');
const BOUND = 30_000; // every wait is bounded; the pages update every 1.5-2 s
mkdirSync(SHOTS, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'runlane-chromium-'));
// A fresh, empty profile (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // a DNS-rebound name: evil.example resolves to the console's address
    '--host-resolver-rules=MAP evil.example 127.0.0.1'],
});
const ok = (what) => console.log(`ok ${what}`);
let failed = false;

async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
}

async function open(page, hash) {
  await page.goto(`${CONSOLE}/#${hash}`);
}

/** Waits (bounded) until the element's text matches. */
async function text(locator, pattern, what) {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout: BOUND });
  ok(what);
}

/** No empty band between the actions (and the status line under them) and the first heading below: at most `px`. */
async function tight(page, heading, where, px = 48) {
  const actions = await page.locator('.actions').first().boundingBox();
  const h2 = await page.locator(heading).first().boundingBox();
  const gap = h2.y - (actions.y + actions.height);
  assert.ok(gap >= 0 && gap <= px, `${where}: ${Math.round(gap)} px between the actions and ${heading}`);
  ok(`${where}: the first heading follows the actions closely (${Math.round(gap)} px)`);
}

/** Every button and input has an accessible name; every table a label. */
async function labelled(page, where) {
  const missing = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, input, a[href]')) {
      const name = el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent);
      if (!name) bad.push(el.outerHTML.slice(0, 80));
    }
    for (const t of document.querySelectorAll('table')) if (!t.getAttribute('aria-label')) bad.push('table without label');
    return bad;
  });
  assert.deepEqual(missing, [], `${where}: elements without an accessible name`);
  ok(`${where}: every control and table is labelled`);
}

/** White text on each status badge has at least WCAG AA contrast (4.5:1). */
async function contrast(page, where) {
  const low = await page.evaluate(() => {
    const lum = (rgb) => {
      const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map(Number).map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const bad = [];
    for (const el of document.querySelectorAll('.badge')) {
      const s = getComputedStyle(el);
      const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) bad.push(`${el.textContent} ${ratio.toFixed(2)}`);
    }
    return bad;
  });
  assert.deepEqual(low, [], `${where}: badges below 4.5:1 contrast`);
  ok(`${where}: status badges have AA contrast`);
}

try {
  const page = browser.pages()[0] ?? await browser.newPage();
  page.on('pageerror', (e) => { console.log(`page error: ${e.message}`); failed = true; });

  // Thread page of the walkthrough's thread: two runs, in order, never overlapping.
  const DEMO = env('DEMO_THREAD');
  await open(page, `/threads/${DEMO}`);
  const demoRows = page.locator('tbody tr[data-run]');
  await text(page.locator(`tr[data-run="${env('DEMO_FIRST')}"] [data-col=status]`), 'SUCCEEDED', 'thread: the first run SUCCEEDED');
  await text(page.locator(`tr[data-run="${env('DEMO_SECOND')}"] [data-col=status]`), 'SUCCEEDED', 'thread: the second run SUCCEEDED');
  assert.deepEqual(await demoRows.evaluateAll((rs) => rs.map((r) => r.dataset.run)), [env('DEMO_FIRST'), env('DEMO_SECOND')], 'queue order');
  ok('thread: the queue is in execution order');
  const lane = await page.locator('svg[data-testid=timeline] rect.lane-run').evaluateAll((rs) =>
    rs.map((r) => ({ run: r.dataset.run, x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')) })));
  assert.equal(lane.length, 2, 'two bars on the executing lane');
  assert.equal(lane[0].run, env('DEMO_FIRST'));
  assert.ok(lane[0].x + lane[0].w <= lane[1].x + 0.5, `the second run starts after the first ends on the lane: ${JSON.stringify(lane)}`);
  ok('thread: the timeline shows the two runs one after the other on one lane');
  await tight(page, 'main > h2', 'thread page');
  await labelled(page, 'thread page');
  await contrast(page, 'thread page');
  await shot(page, 'thread-1280');

  // Run page of the hosted run: fields, events, input and output, the graph with its path.
  await open(page, `/runs/${env('DEMO_FIRST')}`);
  await text(page.locator('[data-field=status]'), 'SUCCEEDED', 'run: status SUCCEEDED');
  await text(page.locator('[data-field=threadId]'), DEMO, 'run: its thread');
  await text(page.locator('[data-testid=input]'), '"agent": "simulated"', 'run: its input');
  await text(page.locator('[data-testid=output]'), /\S/, 'run: its output');
  await page.locator('tr[data-attempt="1"]').waitFor({ timeout: BOUND });
  ok('run: attempt 1 with its fence token');
  await page.locator('svg[data-testid=graph] g.state[data-state="Run hosted agent"][data-status=visited]').waitFor({ timeout: BOUND });
  for (const [state, status] of [['Route by target', 'visited'], ['Run hosted agent', 'visited'], ['Record success', 'visited'],
    ['Dispatch to desktop daemon', 'not-visited'], ['Record failure', 'not-visited']]) {
    assert.equal(await page.locator(`g.state[data-state="${state}"]`).getAttribute('data-status'), status, `${state} is ${status}`);
  }
  assert.ok(await page.locator('svg[data-testid=graph] path[data-taken=true]').count() >= 4, 'the path taken is drawn');
  ok('run: the graph shows the path Route by target → Run hosted agent → Record success');
  await text(page.locator('p', { hasText: 'local cloud: no AWS console' }), 'Execution arn:aws:states', 'run: no AWS console link locally');
  await text(page.locator('#h-events'), /^Events$/, 'run: an ended run\'s events are a complete list, not live');
  await text(page.locator('.legend'), 'on an error (Catch)', 'run: the legend names the dashed Catch edges');
  await tight(page, '#h-fields', 'run page');
  await labelled(page, 'run page');
  await shot(page, 'run-1280');

  // A failed run: its error, and the path through Record failure.
  await open(page, `/runs/${env('FAILED_RUN')}`);
  await text(page.locator('[data-field=status]'), 'FAILED', 'failed run: status FAILED');
  await text(page.locator('[data-field=error]'), /\S\S/, 'failed run: its error');
  await page.locator('g.state[data-state="Record failure"][data-status=visited]').waitFor({ timeout: BOUND });
  ok('failed run: the graph goes through Record failure');
  await shot(page, 'run-failed-1280');

  // The live thread: RUNNING, QUEUED and CANCELLED runs; cancel the queued run from the page.
  const LIVE = env('LIVE_THREAD');
  await open(page, `/threads/${LIVE}`);
  await text(page.locator(`tr[data-run="${env('LIVE_RUNNING')}"] [data-col=status]`), 'RUNNING', 'live thread: a RUNNING run');
  await text(page.locator(`tr[data-run="${env('LIVE_QUEUED')}"] [data-col=status]`), 'QUEUED', 'live thread: a QUEUED run');
  await text(page.locator(`tr[data-run="${env('LIVE_CANCELLED')}"] [data-col=status]`), 'CANCELLED', 'live thread: a CANCELLED run');
  await text(page.locator('h1 [data-state]'), 'running', 'live thread: state running');
  await page.locator(`svg[data-testid=timeline] g[data-run="${env('LIVE_CANCELLED')}"] rect.ended-unstarted`).waitFor({ timeout: BOUND });
  assert.equal(await page.locator(`svg[data-testid=timeline] g[data-run="${env('LIVE_RUNNING')}"] rect.ended-unstarted`).count(), 0);
  ok('live thread: the run cancelled while queued ends in a mark of its status colour, unlike a queued one');
  await shot(page, 'thread-live-1280');
  await page.locator(`tr[data-run="${env('LIVE_QUEUED')}"] button`, { hasText: 'Cancel' }).click();
  await text(page.locator(`tr[data-run="${env('LIVE_QUEUED')}"] [data-col=status]`), 'CANCELLED', 'live thread: clicking Cancel cancels the queued run');

  // Pause with the keyboard only: Tab to the button, Enter.
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'pause');
  }
  assert.ok(reached, 'the Pause button is reachable with Tab');
  await page.keyboard.press('Enter');
  await text(page.locator('h1 [data-state]'), 'paused', 'live thread: Pause (keyboard) pauses the thread');
  await text(page.locator('#pause'), 'Resume', 'live thread: the button now resumes');
  await page.locator('#pause').click();
  await text(page.locator('h1 [data-state]'), 'running', 'live thread: Resume resumes it');

  // The running run's page: the current state highlighted, live events; cancel it.
  await open(page, `/runs/${env('LIVE_RUNNING')}`);
  await text(page.locator('[data-field=status]'), 'RUNNING', 'running run: status RUNNING');
  await page.locator('g.state[data-state="Run hosted agent"][data-status=current]').waitFor({ timeout: BOUND });
  ok('running run: the graph highlights the current state, Run hosted agent');
  await text(page.locator('table[aria-label=Events] td'), 'progress', 'running run: its progress events, live');
  await text(page.locator('#h-events'), 'Events (live)', 'running run: its events are live');
  await shot(page, 'run-running-1280');
  await page.locator('#cancel-run').click();
  await text(page.locator('[data-field=status]'), 'CANCELLED', 'running run: clicking Cancel run cancels it');
  await text(page.locator('#rerun'), 'Rerun', 'running run: an ended run offers Rerun');

  // Threads: every seeded thread with its state, queued count and last run, from GET /threads.
  await open(page, '/');
  await page.locator('main[data-listed=api]').waitFor({ timeout: BOUND });
  ok('threads: listed by the API (GET /threads)');
  const row = (t) => page.locator(`tr[data-thread="${t}"]`);
  await text(row(env('PAUSED_THREAD')).locator('[data-col=state]'), 'paused', 'threads: the paused thread is paused');
  await text(row(env('PAUSED_THREAD')).locator('[data-col=queued]'), /^1$/, 'threads: with 1 queued');
  await text(row(DEMO).locator('[data-col=state]'), 'idle', 'threads: the demo thread is idle');
  await text(row(DEMO).locator('[data-col=last-run]'), 'SUCCEEDED', 'threads: its last run SUCCEEDED');
  await text(row(LIVE).locator('[data-col=state]'), /idle|running/, 'threads: the live thread is listed');
  await text(row(env('FAILED_THREAD')).locator('[data-col=last-run]'), 'FAILED', 'threads: the failed thread, its last run FAILED');
  await labelled(page, 'threads page');
  await contrast(page, 'threads page');
  await shot(page, 'threads-1280');

  // A narrow window: the same pages, readable (no horizontal scroll of the page itself).
  await page.setViewportSize({ width: 420, height: 800 });
  for (const [name, hash] of [['threads', '/'], ['thread', `/threads/${DEMO}`], ['run', `/runs/${env('DEMO_FIRST')}`]]) {
    await open(page, hash);
    await page.locator('h1').waitFor({ timeout: BOUND });
    await page.locator(name === 'run' ? 'svg[data-testid=graph]' : name === 'thread' ? 'svg[data-testid=timeline]' : 'tr[data-thread]').first().waitFor({ timeout: BOUND });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${name} page at 420 px scrolls sideways by ${overflow} px`);
    ok(`${name} page at 420 px: no sideways scrolling`);
    await shot(page, `${name}-420`);
  }

  // Another origin (127.0.0.1 on another port, served here) tries the console's actions from its page. It can
  // send simple requests (a text/plain fetch, forms) but can neither read the token nor send its header
  // without a CORS preflight: the console refuses them all (403, never forwarded).
  const VICTIM = env('VICTIM_THREAD');
  const VICTIM_RUN = env('VICTIM_RUN');
  const elsewhere = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  try {
    const evil = await browser.newPage();
    const answered = []; // the console's answers to that page, as the browser saw them
    evil.on('response', (r) => { if (r.url().startsWith(CONSOLE)) answered.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    const ELSEWHERE = `http://127.0.0.1:${elsewhere.address().port}/`;
    await evil.goto(ELSEWHERE);
    const tried = await evil.evaluate(async ({ target, victim, run }) => {
      const outcome = async (f) => { try { return await f(); } catch (e) { return `rejected (${e.name})`; } };
      return {
        textPlainPause: await outcome(() => fetch(`${target}/api/threads/${victim}/pause`,
          { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }).then((r) => r.type)),
        jsonPauseWithAGuessedToken: await outcome(() => fetch(`${target}/api/threads/${victim}/pause`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'x-runlane-token': 'guess' }, body: '{}' }).then((r) => r.status)),
        readARun: await outcome(() => fetch(`${target}/api/runs/${run}`).then((r) => r.status)),
        readTheToken: await outcome(() => fetch(`${target}/`).then((r) => r.text())),
      };
    }, { target: CONSOLE, victim: VICTIM, run: VICTIM_RUN });
    assert.deepEqual(tried, { textPlainPause: 'opaque', jsonPauseWithAGuessedToken: 'rejected (TypeError)',
      readARun: 'rejected (TypeError)', readTheToken: 'rejected (TypeError)' }, JSON.stringify(tried));
    ok('another origin: a text/plain POST is sent but its answer hidden; a token header needs a preflight, refused; nothing is readable');
    for (const [enctype, path] of [['application/x-www-form-urlencoded', `/api/threads/${VICTIM}/pause`],
      ['text/plain', `/api/threads/${VICTIM}/pause`], ['application/x-www-form-urlencoded', `/api/runs/${VICTIM_RUN}/rerun`]]) {
      // the page itself navigates (the console refuses to be framed)
      await evil.goto(ELSEWHERE);
      await Promise.all([evil.waitForURL(`${CONSOLE}${path}`, { timeout: BOUND }), evil.evaluate(({ action, enctype }) => {
        const form = Object.assign(document.createElement('form'), { method: 'POST', action, enctype });
        form.append(Object.assign(document.createElement('input'), { name: '{"x":"', value: '"}' }));
        document.body.append(form);
        form.submit();
      }, { action: `${CONSOLE}${path}`, enctype })]);
      assert.match(await evil.locator('body').textContent(), /"code":"ForbiddenOrigin"/, `form ${enctype} ${path}`);
    }
    ok('another origin: form POSTs (urlencoded, text/plain) to pause and rerun are refused');
    // at least the text/plain POST and the three forms (the browser may not report the answers it kept from the page)
    assert.ok(answered.length >= 4 && answered.every((a) => a.startsWith('403 ')), `the console's answers: ${answered.join(', ')}`);
    ok(`another origin: the console answered each of its ${answered.length} requests 403`);
    await evil.close();

    // DNS rebinding: the console's own port under another name is refused, page and calls alike.
    const rebound = await browser.newPage();
    const page403 = await rebound.goto(`http://evil.example:${CONSOLE_PORT}/`);
    assert.equal(page403.status(), 403, 'the console under another name');
    const statuses = await rebound.evaluate(async ({ victim, run }) => [
      await fetch(`/api/threads/${victim}/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-runlane-token': 'guess' }, body: '{}' }).then((r) => r.status),
      await fetch(`/api/runs/${run}`).then((r) => r.status),
    ], { victim: VICTIM, run: VICTIM_RUN });
    assert.deepEqual(statuses, [403, 403], 'calls through the rebound name');
    ok('DNS rebinding: the page and its calls through evil.example are refused (403)');
    await rebound.close();
  } finally {
    elsewhere.close();
  }
} catch (e) {
  console.log(`FAILED: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
