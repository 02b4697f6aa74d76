import { api, ApiError } from './api';
import { badge, h, time } from './dom';
import type { Live } from './main';

const RECENT = 'runlane.recentThreads';

/** Threads opened in this browser, newest first: what the page shows when the API cannot list threads. */
export function rememberThread(threadId: string) {
  const recent = recentThreads().filter((t) => t !== threadId);
  localStorage.setItem(RECENT, JSON.stringify([threadId, ...recent].slice(0, 20)));
}
function recentThreads(): string[] {
  try { return JSON.parse(localStorage.getItem(RECENT) ?? '[]'); } catch { return []; }
}

export function threadState(t: any): 'paused' | 'running' | 'idle' {
  return t.paused ? 'paused' : t.running ? 'running' : 'idle';
}

export function threadsPage(main: HTMLElement, live: Live) {
  document.title = 'Threads · runlane';
  const input = h('input', { id: 'open-thread', name: 'threadId', placeholder: 'demo', required: true,
    pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}', 'aria-describedby': 'open-help' }) as HTMLInputElement;
  const body = h('tbody');
  const notice = h('p', { class: 'note', hidden: true });
  const updated = h('p', { class: 'muted status-line', 'aria-live': 'polite' });
  main.append(
    h('h1', {}, 'Threads'),
    h('form', { class: 'open', onsubmit: (e: Event) => { e.preventDefault(); location.hash = `#/threads/${encodeURIComponent(input.value)}`; } },
      h('label', { for: 'open-thread' }, 'Open thread'), input, h('button', { type: 'submit' }, 'Open'),
      h('span', { id: 'open-help', class: 'muted' }, 'ids: 1-64 letters, digits, - or _')),
    notice,
    h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Recent threads' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Thread'), h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Queued'), h('th', { scope: 'col' }, 'Last run'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Last active'))),
      body)),
    updated,
  );

  main.dataset.listed = 'unknown';
  live.every(2000, async () => {
    let threads: any[];
    try {
      threads = (await api.threads(50)).threads;
      notice.hidden = true;
      main.dataset.listed = 'api';
    } catch (e) {
      // An API without GET /threads: the threads opened in this browser, each read on its own.
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e;
      notice.hidden = false;
      main.dataset.listed = 'browser';
      notice.textContent = 'This API does not list threads (GET /threads): showing the threads opened in this browser.';
      threads = (await Promise.all(recentThreads().map((t) => api.thread(t).catch(() => null)))).filter(Boolean);
    }
    if (!live.active) return;
    body.replaceChildren(...(threads.length ? threads.map(row)
      : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No threads yet. Start a run: POST /threads/{threadId}/runs'))]));
    updated.textContent = `Updated ${time(new Date().toISOString())}`;
  });
}

function row(t: any): HTMLElement {
  const state = threadState(t);
  return h('tr', { 'data-thread': t.threadId },
    h('td', { class: 'mono' }, h('a', { href: `#/threads/${encodeURIComponent(t.threadId)}` }, t.threadId)),
    h('td', { 'data-col': 'state' }, badge(state)),
    h('td', { 'data-col': 'queued' }, String(t.queued)),
    h('td', { 'data-col': 'last-run' }, t.lastRun
      ? [badge(t.lastRun.status), ' ', h('a', { class: 'mono', href: `#/runs/${encodeURIComponent(t.lastRun.runId)}` }, t.lastRun.runId)]
      : h('span', { class: 'muted' }, 'none')),
    // activeAt: a run admitted, a pause or a resume (APIs before it had none: the last run's creation)
    h('td', { class: 'hide-narrow mono' }, time(t.activeAt ?? t.lastRun?.createdAt ?? null)),
  );
}
