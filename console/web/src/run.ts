import { api, TERMINAL } from './api';
import { badge, h, json, time } from './dom';
import { drawGraph, graphLegend, trace } from './graph';
import type { Live } from './main';

const FIELDS = ['runId', 'threadId', 'target', 'status', 'attempts', 'fenceToken', 'staleWrites', 'executionArn',
  'error', 'onBusy', 'expiresAt', 'rerunOf', 'createdAt', 'startedAt', 'finishedAt'];

export function runPage(runId: string) {
  return (main: HTMLElement, live: Live) => {
    document.title = `Run ${runId} · runlane`;
    const heading = h('span');
    const threadLink = h('p', {}, h('a', { href: '#/' }, '← Threads'));
    const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Run actions' });
    const message = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
    const fields = h('dl', { class: 'fields', 'data-testid': 'fields' });
    const attempts = h('tbody');
    const events = h('tbody');
    const input = h('pre', { 'data-testid': 'input', tabindex: 0, 'aria-label': 'Input' });
    const output = h('pre', { 'data-testid': 'output', tabindex: 0, 'aria-label': 'Output' });
    const graph = h('div', { class: 'graph-wrap', 'data-testid': 'graph-wrap' }, h('p', { class: 'muted', style: 'padding:8px' }, 'Loading the execution…'));
    const consoleLink = h('p');
    const eventsHeading = h('h2', { id: 'h-events' }, 'Events (live)');
    const eventList: any[] = [];
    let run: any = null;

    main.append(threadLink, h('h1', {}, 'Run ', h('span', { class: 'mono' }, runId), ' ', heading), actions, message,
      h('div', { class: 'cols' },
        h('section', { 'aria-labelledby': 'h-fields' }, h('h2', { id: 'h-fields' }, 'Fields'), fields),
        h('section', { 'aria-labelledby': 'h-graph' }, h('h2', { id: 'h-graph' }, 'Execution graph'),
          h('p', { class: 'muted' }, 'Drawn from the deployed state machine definition; the path and current state come from the execution history.'),
          graphLegend(), graph, consoleLink)),
      h('section', { 'aria-labelledby': 'h-attempts' }, h('h2', { id: 'h-attempts' }, 'Attempts'),
        h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Attempts' },
          h('thead', {}, h('tr', {}, ...['Attempt', 'Fence token', 'Events', 'First event', 'Last event'].map((c) => h('th', { scope: 'col' }, c)))),
          attempts))),
      h('section', { 'aria-labelledby': 'h-events' }, eventsHeading,
        h('div', { class: 'scroll events', tabindex: 0, role: 'region', 'aria-label': 'Events, scrollable' }, h('table', { 'aria-label': 'Events' },
          h('thead', {}, h('tr', {}, ...['Time', 'Attempt', 'Fence token', 'Type', 'Data'].map((c) => h('th', { scope: 'col' }, c)))),
          events))),
      h('div', { class: 'cols' },
        h('section', { 'aria-labelledby': 'h-input' }, h('h2', { id: 'h-input' }, 'Input'), input),
        h('section', { 'aria-labelledby': 'h-output' }, h('h2', { id: 'h-output' }, 'Output'), output)),
    );

    const act = async (what: string, fn: () => Promise<any>) => {
      message.textContent = `${what}…`;
      message.className = 'status-line';
      try {
        const r = await fn();
        message.replaceChildren(`${what}: done`, ...(r?.runId && r.runId !== runId
          ? [' → ', h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId)] : []));
      } catch (e: any) {
        message.textContent = `${what}: ${e.status ?? ''} ${e.code ?? ''} ${e.message}`;
        message.className = 'status-line error';
      }
      await showRun();
    };

    async function showRun() {
      const r = await api.run(runId);
      if (!live.active) return;
      const changed = !run || run.status !== r.status || run.executionArn !== r.executionArn || run.attempts !== r.attempts;
      run = r;
      heading.replaceChildren(badge(r.status));
      // An ended run writes no more events: its list is complete, not live.
      eventsHeading.textContent = TERMINAL.has(r.status) ? 'Events' : 'Events (live)';
      heading.setAttribute('data-status', r.status);
      threadLink.replaceChildren(h('a', { href: `#/threads/${encodeURIComponent(r.threadId)}` }, `← Thread ${r.threadId}`));
      fields.replaceChildren(...FIELDS.flatMap((f) => [h('dt', {}, f), h('dd', { class: 'mono', 'data-field': f }, show(f, r[f]))]));
      input.textContent = json(r.input);
      output.textContent = r.output === undefined || r.output === null ? (r.status === 'SUCCEEDED' ? 'null' : '(none yet)') : json(r.output);
      if (changed) {
        actions.replaceChildren(TERMINAL.has(r.status)
          ? h('button', { type: 'button', id: 'rerun', onclick: () => act('Rerun', () => api.rerun(runId)) }, 'Rerun')
          : h('button', { type: 'button', id: 'cancel-run', class: 'danger', onclick: () => act('Cancel', () => api.cancelRun(runId)) }, 'Cancel run'));
      }
    }

    async function showGraph() {
      if (!run?.executionArn) {
        graph.replaceChildren(h('p', { class: 'muted', style: 'padding:8px' },
          TERMINAL.has(run?.status) ? 'This run ended without an execution (it never started).' : 'No execution yet: the run is queued.'));
        return !run || !TERMINAL.has(run.status);
      }
      const x = await api.execution(run.executionArn);
      if (!live.active) return false;
      graph.replaceChildren(drawGraph(x.definition, trace(x.events, x.status), x.status));
      graph.setAttribute('data-execution-status', x.status);
      consoleLink.replaceChildren(x.consoleUrl
        ? h('a', { href: x.consoleUrl, target: '_blank', rel: 'noopener' }, 'Open this execution in the Step Functions console')
        : h('span', { class: 'muted' }, `Execution ${x.executionArn} (local cloud: no AWS console)`));
      return x.status === 'RUNNING';
    }

    function showEvents() {
      events.replaceChildren(...eventList.map((e) => h('tr', {},
        h('td', { class: 'mono' }, time(e.time)), h('td', {}, String(e.attempt)), h('td', {}, String(e.fenceToken)),
        h('td', {}, e.type), h('td', { class: 'mono' }, JSON.stringify(e.data)))));
      if (!eventList.length) events.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No events yet.')));
      const byAttempt = new Map<number, any[]>();
      for (const e of eventList) byAttempt.set(e.attempt, [...(byAttempt.get(e.attempt) ?? []), e]);
      const rows = [...byAttempt.entries()].sort((a, b) => a[0] - b[0]).map(([n, es]) => h('tr', { 'data-attempt': n },
        h('td', {}, String(n)), h('td', {}, [...new Set(es.map((e) => e.fenceToken))].join(', ')), h('td', {}, String(es.length)),
        h('td', { class: 'mono' }, time(es[0].time)), h('td', { class: 'mono' }, time(es[es.length - 1].time))));
      attempts.replaceChildren(...rows, h('tr', {}, h('td', { colspan: 5, class: 'muted' },
        `${run?.attempts ?? 0} attempt(s) started; the run's fence token: ${run?.fenceToken ?? '–'}; stale writes refused: ${run?.staleWrites ?? 0}. `
        + 'Rows: the attempts whose writes were accepted. Fence tokens are the thread\'s: each attempt takes the next one '
        + 'and a run\'s end takes one more, so a thread\'s runs show 1, 3, 5.')));
    }

    // Events: the API's long poll (returns as soon as one is written, or the run ends).
    (async () => {
      let cursor: string | null = null;
      while (live.active) {
        try {
          const page: any = await api.events(runId, cursor, run && TERMINAL.has(run.status) ? 0 : 20);
          if (!live.active) return;
          eventList.push(...page.events);
          cursor = page.cursor ?? cursor;
          await showRun();
          showEvents();
          if (page.ended && !page.events.length) return;
        } catch (e: any) {
          if (!live.active) return;
          message.textContent = `Events: ${e.status ?? ''} ${e.code ?? ''} ${e.message}`;
          message.className = 'status-line error';
          if (e.status === 404) return;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    })();
    // Fields and graph: again while the run or its execution goes on; an ended one is drawn once more, then left.
    let done = false;
    live.every(1500, async () => {
      if (done) return;
      await showRun();
      showEvents();
      const going = await showGraph();
      done = !going && run && TERMINAL.has(run.status);
    });
  };
}

function show(field: string, value: any): string | HTMLElement {
  if (value === null || value === undefined) return '–';
  if (field === 'status') return badge(value);
  if (field.endsWith('At')) return `${time(value)}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
