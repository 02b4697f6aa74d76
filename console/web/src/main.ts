import './style.css';
import { api } from './api';
import { threadsPage } from './threads';
import { threadPage } from './thread';
import { runPage } from './run';

/** A page renders into main and returns what stops its live updates. */
export type Page = (main: HTMLElement, live: Live) => void;

/** Live updates of the current page: every loop checks `active` and stops when the page is left. */
export class Live {
  active = true;
  private timers: number[] = [];
  /** Runs fn now and again `ms` after each end, while the page is shown. */
  every(ms: number, fn: () => Promise<void>) {
    const loop = async () => {
      if (!this.active) return;
      try { await fn(); } catch (e) { console.warn(e); }
      if (this.active) this.timers.push(window.setTimeout(loop, ms));
    };
    loop();
  }
  stop() { this.active = false; this.timers.forEach(clearTimeout); }
}

let current: Live | null = null;

function route() {
  current?.stop();
  const live = (current = new Live());
  const main = document.getElementById('main')!;
  main.replaceChildren();
  for (const key of Object.keys(main.dataset)) delete main.dataset[key];
  const path = location.hash.replace(/^#/, '') || '/';
  const thread = path.match(/^\/threads\/([^/]+)$/);
  const run = path.match(/^\/runs\/([^/]+)$/);
  if (thread) threadPage(decodeURIComponent(thread[1]))(main, live);
  else if (run) runPage(decodeURIComponent(run[1]))(main, live);
  else threadsPage(main, live);
}

window.addEventListener('hashchange', () => {
  route();
  document.getElementById('main')?.focus(); // keyboard users land on the new page, not the old link
});
api.config().then((c) => {
  document.getElementById('where')!.textContent = c.local ? 'local cloud' : `AWS ${c.region}`;
  (window as any).runlaneConfig = c;
}).catch(() => {});
route();
