import { api, TERMINAL } from './api';
import { badge, duration, h, svg, time } from './dom';
import type { Live } from './main';
import { rememberThread, threadState } from './threads';

export function threadPage(threadId: string) {
  return (main: HTMLElement, live: Live) => {
    document.title = `Thread ${threadId} · runlane`;
    rememberThread(threadId);
    const state = h('span');
    const message = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
    const pause = h('button', { type: 'button', id: 'pause' }, 'Pause') as HTMLButtonElement;
    const cancelQueue = h('button', { type: 'button', class: 'danger', id: 'cancel-queue' }, 'Cancel the queue') as HTMLButtonElement;
    const timeline = h('div', { class: 'timeline-wrap', role: 'img', 'aria-label': 'Timeline of the thread\'s runs' });
    const queue = h('tbody');
    let paused = false;

    const act = async (what: string, fn: () => Promise<any>) => {
      message.textContent = `${what}…`;
      message.className = 'status-line';
      try {
        const r = await fn();
        message.textContent = `${what}: done${r?.cancelled ? ` (${r.cancelled.length} cancelled)` : ''}`;
      } catch (e: any) {
        message.textContent = `${what}: ${e.status ?? ''} ${e.code ?? ''} ${e.message}`;
        message.className = 'status-line error';
      }
      await refresh();
    };
    pause.addEventListener('click', () => act(paused ? 'Resume' : 'Pause', () => paused ? api.resume(threadId) : api.pause(threadId)));
    cancelQueue.addEventListener('click', () => act('Cancel the queue', () => api.cancelQueue(threadId)));

    main.append(
      h('p', {}, h('a', { href: '#/' }, '← Threads')),
      h('h1', {}, 'Thread ', h('span', { class: 'mono' }, threadId), ' ', state),
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Thread actions' }, pause, cancelQueue),
      message,
      h('h2', {}, 'Timeline'),
      h('p', { class: 'muted' }, 'Top lane: when each run executed (they never overlap). Below, one row per run in queue order: queued, then running.'),
      legend(),
      timeline,
      h('h2', {}, 'Queue, in execution order'),
      h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Runs in execution order' },
        h('thead', {}, h('tr', {}, ...['#', 'Run', 'Status', 'Target', 'Attempts', 'Created', 'Started', 'Finished', 'Actions']
          .map((c, i) => h('th', { scope: 'col', class: i >= 5 && i <= 7 && i !== 6 ? 'hide-narrow' : null }, c)))),
        queue)),
    );

    async function refresh() {
      const [thread, page] = await Promise.all([api.thread(threadId), api.threadRuns(threadId)]);
      if (!live.active) return;
      paused = thread.paused;
      const s = threadState(thread);
      state.replaceChildren(badge(s), ' ', h('span', { class: 'muted', style: 'font-size:15px;font-weight:400' },
        `${thread.queued} queued`));
      state.setAttribute('data-state', s);
      pause.textContent = paused ? 'Resume' : 'Pause';
      pause.setAttribute('aria-pressed', String(paused));
      const runs: any[] = page.runs;
      cancelQueue.disabled = !runs.some((r) => r.status === 'QUEUED');
      timeline.replaceChildren(drawTimeline(runs));
      queue.replaceChildren(...runs.map((r, i) => queueRow(r, i, act)));
      if (!runs.length) queue.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No runs on this thread.')));
    }
    live.every(1500, refresh);
  };
}

function queueRow(r: any, i: number, act: (what: string, fn: () => Promise<any>) => Promise<void>): HTMLElement {
  const ended = TERMINAL.has(r.status);
  const short = r.runId.length > 14 ? `…${r.runId.slice(-8)}` : r.runId;
  return h('tr', { 'data-run': r.runId },
    h('td', {}, String(i + 1)),
    h('td', { class: 'mono' }, h('a', { href: `#/runs/${encodeURIComponent(r.runId)}`, title: r.runId }, r.runId)),
    h('td', { 'data-col': 'status' }, badge(r.status)),
    h('td', {}, r.target),
    h('td', {}, String(r.attempts)),
    h('td', { class: 'hide-narrow mono' }, time(r.createdAt)),
    h('td', { class: 'mono' }, time(r.startedAt)),
    h('td', { class: 'hide-narrow mono' }, time(r.finishedAt)),
    h('td', {}, ended
      ? h('button', { type: 'button', 'aria-label': `Rerun ${r.runId}`, onclick: () => act(`Rerun ${short}`, () => api.rerun(r.runId)) }, 'Rerun')
      : h('button', { type: 'button', class: 'danger', 'aria-label': `Cancel ${r.runId}`, onclick: () => act(`Cancel ${short}`, () => api.cancelRun(r.runId)) }, 'Cancel')),
  );
}

const COLORS: Record<string, string> = {
  QUEUED: '#8a96a3', RUNNING: '#1565c0', SUCCEEDED: '#1b7a3a', FAILED: '#b3261e', TIMED_OUT: '#b3261e',
  CANCELLED: '#6b4f9e', EXPIRED: '#8a5a00', REJECTED: '#8a5a00',
};

function legend(): HTMLElement {
  return h('div', { class: 'legend', 'aria-hidden': 'true' },
    h('span', { style: '--c:#d5dbe1' }, 'queued'),
    ...['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'].map((s) => h('span', { style: `--c:${COLORS[s]}` }, s.toLowerCase())),
    h('span', { class: 'ended-unstarted' }, 'ended while queued (its status colour)'));
}

/** The runs on a time axis: a lane with every execution, then a row per run, queued then running. */
function drawTimeline(runs: any[]): SVGElement | HTMLElement {
  if (!runs.length) return h('p', { class: 'muted', style: 'padding:8px' }, 'No runs yet.');
  const now = Date.now();
  const t = (iso: string | null) => (iso ? Date.parse(iso) : now);
  const start = Math.min(...runs.map((r) => t(r.createdAt)));
  const end = Math.max(start + 1000, ...runs.map((r) => t(r.finishedAt)));
  const left = 150, right = 20, width = Math.max(640, Math.min(1300, window.innerWidth - 60)), row = 22;
  const x = (ms: number) => left + ((ms - start) / (end - start)) * (width - left - right);
  const height = 56 + (runs.length + 1) * row;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': 'timeline' });

  // axis: 5 ticks
  for (let i = 0; i <= 4; i++) {
    const ms = start + ((end - start) * i) / 4;
    root.append(svg('line', { x1: x(ms), x2: x(ms), y1: 20, y2: height - 4, stroke: '#e3e7eb' }),
      svg('text', { x: x(ms), y: 14, 'font-size': 11, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle', fill: '#4f5864' },
        `+${duration(ms - start)}`));
  }
  const laneY = 26;
  root.append(svg('text', { x: 8, y: laneY + 14, 'font-size': 12, 'font-weight': 600, fill: '#1b1f24' }, 'executing'),
    svg('rect', { x: left, y: laneY, width: width - left - right, height: 20, fill: '#f4f6f8', stroke: '#c9d0d8' }));
  runs.forEach((r, i) => {
    const y = laneY + 30 + i * row;
    const color = COLORS[r.status] ?? '#8a96a3';
    const label = `${i + 1}. ${r.runId.slice(-10)}`;
    const queuedEnd = r.startedAt ? t(r.startedAt) : t(r.finishedAt);
    const title = `run ${i + 1} ${r.runId}: ${r.status}; queued ${duration(queuedEnd - t(r.createdAt))}`
      + (r.startedAt ? `, running ${duration(t(r.finishedAt) - t(r.startedAt))}`
        : TERMINAL.has(r.status) ? `, then ${r.status} without starting` : ', not started yet');
    const g = svg('g', { 'data-run': r.runId, 'data-status': r.status }, svg('title', {}, title));
    g.append(svg('text', { x: 8, y: y + 13, 'font-size': 11, fill: '#1b1f24', 'font-family': 'monospace' }, label),
      svg('rect', { x: x(t(r.createdAt)), y: y + 3, width: Math.max(1, x(queuedEnd) - x(t(r.createdAt))), height: 12, fill: '#d5dbe1', class: 'queued' }));
    if (!r.startedAt && TERMINAL.has(r.status)) {
      // Ended while queued (cancelled, expired, rejected): its queued bar ends in a mark of its status colour.
      g.append(svg('rect', { x: x(queuedEnd) - 3, y: y + 1, width: 6, height: 16, fill: color, class: 'ended-unstarted' }));
    }
    if (r.startedAt) {
      const bar = { x: x(t(r.startedAt)), width: Math.max(2, x(t(r.finishedAt)) - x(t(r.startedAt))), fill: color };
      g.append(svg('rect', { ...bar, y: y + 1, height: 16, class: 'running' }));
      root.append(svg('rect', { ...bar, y: laneY + 2, height: 16, class: 'lane-run', 'data-run': r.runId },
        svg('title', {}, title)),
        svg('text', { x: bar.x + 3, y: laneY + 14, 'font-size': 10, fill: '#fff' }, bar.width > 14 ? String(i + 1) : ''));
    }
    root.append(g);
  });
  return root;
}
