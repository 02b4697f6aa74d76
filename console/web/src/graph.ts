import dagre from '@dagrejs/dagre';
import { h, svg } from './dom';

/** What the execution history says about each state: entered, left, attempts, failures; the path. */
export interface Trace {
  path: string[];                 // the states entered, in order
  exited: Set<string>;
  attempts: Map<string, number>;  // task schedules per state (a retried task is scheduled again)
  failures: Map<string, number>;
  current: string | null;         // the state being executed, while the execution runs
}

const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'ActivityScheduled']);
const FAILED = new Set(['LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'TaskFailed', 'TaskTimedOut', 'ActivityFailed', 'ActivityTimedOut']);

export function trace(events: any[], status: string): Trace {
  const t: Trace = { path: [], exited: new Set(), attempts: new Map(), failures: new Map(), current: null };
  let inState: string | null = null;
  for (const e of events) {
    if (e.type.endsWith('StateEntered') && e.state) { inState = e.state; t.path.push(e.state); }
    else if (e.type.endsWith('StateExited') && e.state) { t.exited.add(e.state); inState = null; }
    else if (inState && SCHEDULED.has(e.type)) t.attempts.set(inState, (t.attempts.get(inState) ?? 0) + 1);
    else if (inState && FAILED.has(e.type)) t.failures.set(inState, (t.failures.get(inState) ?? 0) + 1);
  }
  if (status === 'RUNNING' && inState) t.current = inState;
  return t;
}

/** The state machine drawn from its ASL (top-level states), with the path taken and the current state. */
export function drawGraph(definition: any, tr: Trace, status: string): SVGElement {
  const states: Record<string, any> = definition.States ?? {};
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 42, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const START = '\u0000start', END = '\u0000end';
  g.setNode(START, { label: 'Start', width: 70, height: 30 });
  g.setNode(END, { label: 'End', width: 70, height: 30 });
  for (const [name, s] of Object.entries(states)) g.setNode(name, { label: name, type: s.Type, width: Math.max(150, name.length * 8 + 30), height: 46 });
  const edges: [string, string, string][] = [[START, definition.StartAt, '']];
  for (const [name, s] of Object.entries(states)) {
    if (s.Next) edges.push([name, s.Next, '']);
    if (s.Default) edges.push([name, s.Default, 'default']);
    for (const c of s.Choices ?? []) if (c.Next) edges.push([name, c.Next, 'choice']);
    for (const c of s.Catch ?? []) if (c.Next) edges.push([name, c.Next, 'catch']);
    if (s.End || s.Type === 'Succeed' || s.Type === 'Fail') edges.push([name, END, '']);
  }
  const seen = new Set<string>();
  for (const [from, to, kind] of edges) {
    if (seen.has(from + '\u0001' + to) || !g.hasNode(to)) continue;
    seen.add(from + '\u0001' + to);
    g.setEdge(from, to, { kind });
  }
  dagre.layout(g);

  // The path: start, the states entered, and the end once the execution has ended.
  const path = [START, ...tr.path, ...(status !== 'RUNNING' && tr.path.length ? [END] : [])];
  const taken = new Set(path.slice(1).map((to, i) => path[i] + '\u0001' + to));
  const visited = new Set(path);
  const failedEnd = status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED';
  const last = tr.path[tr.path.length - 1];

  const { width = 400, height = 400 } = g.graph() as any;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': 'graph', role: 'img',
    'aria-label': `State machine graph; path taken: ${tr.path.join(' → ') || 'none yet'}${tr.current ? `; current state: ${tr.current}` : ''}` },
    svg('defs', {},
      svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a96a3' })),
      svg('marker', { id: 'arrow-taken', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#1b7a3a' }))));

  for (const e of g.edges()) {
    const on = taken.has(e.v + '\u0001' + e.w);
    const pts = (g.edge(e) as any).points as { x: number; y: number }[];
    root.append(svg('path', { d: 'M' + pts.map((p) => `${p.x},${p.y}`).join(' L'), fill: 'none',
      stroke: on ? '#1b7a3a' : '#b8c0c8', 'stroke-width': on ? 3 : 1.5, 'stroke-dasharray': (g.edge(e) as any).kind === 'catch' ? '5 4' : null,
      'marker-end': on ? 'url(#arrow-taken)' : 'url(#arrow)', 'data-taken': String(on) }));
  }
  for (const name of g.nodes()) {
    const n = g.node(name) as any;
    const terminal = name === START || name === END;
    const current = name === tr.current;
    const failed = !terminal && ((tr.failures.get(name) ?? 0) > 0 && !tr.exited.has(name) && status !== 'RUNNING'
      || (failedEnd && name === last) || (states[name]?.Type === 'Fail' && visited.has(name)));
    const cls = current ? 'current' : failed ? 'failed' : visited.has(name) ? 'visited' : 'not-visited';
    const fill = { current: '#dbe9fb', failed: '#fbe3e1', visited: '#e2f3e6', 'not-visited': '#ffffff' }[cls];
    const stroke = { current: '#1565c0', failed: '#b3261e', visited: '#1b7a3a', 'not-visited': '#8a96a3' }[cls];
    const node = svg('g', { class: `state ${cls}`, 'data-state': terminal ? n.label : name, 'data-status': cls,
      transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})` },
      svg('title', {}, `${n.label}: ${cls.replace('-', ' ')}`),
      svg('rect', { width: n.width, height: n.height, rx: terminal ? n.height / 2 : 6, fill, stroke, 'stroke-width': cls === 'not-visited' ? 1.5 : 3 }),
      svg('text', { x: n.width / 2, y: terminal ? n.height / 2 + 4 : 19, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600, fill: '#1b1f24' }, n.label));
    if (!terminal) {
      const attempts = tr.attempts.get(name) ?? 0, failures = tr.failures.get(name) ?? 0;
      const sub = [n.type, attempts > 1 ? `${attempts} attempts` : '', failures ? `${failures} failed` : '', current ? 'running' : '']
        .filter(Boolean).join(' · ');
      node.append(svg('text', { x: n.width / 2, y: 36, 'text-anchor': 'middle', 'font-size': 11, fill: '#4f5864' }, sub));
    }
    root.append(node);
  }
  return root;
}

export function graphLegend(): HTMLElement {
  return h('div', { class: 'legend', 'aria-hidden': 'true' },
    h('span', { style: '--c:#e2f3e6' }, 'on the path'), h('span', { style: '--c:#dbe9fb' }, 'current state'),
    h('span', { style: '--c:#fbe3e1' }, 'failed'), h('span', { style: '--c:#ffffff' }, 'not taken'),
    h('span', { class: 'edge' }, 'transition'), h('span', { class: 'edge catch' }, 'on an error (Catch)'));
}
