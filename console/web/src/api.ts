// The console's calls: /api/... is forwarded by the console server to the runlane API (signed there
// for a deployed stack), /sfn/execution reads Step Functions for the run graph. Each carries the
// launch's token, which the server put in index.html: it refuses /api and /sfn calls without it, so
// that no other web page can drive the console (POSTs are JSON for the same reason).

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) { super(message); }
}

const TOKEN = document.querySelector<HTMLMetaElement>('meta[name="runlane-token"]')?.content ?? '';

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(path, {
    method,
    headers: { 'x-runlane-token': TOKEN, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const err = parsed?.error ?? {};
    throw new ApiError(res.status, err.code ?? String(res.status), err.message ?? (text || res.statusText));
  }
  return parsed;
}

const id = encodeURIComponent;
export const api = {
  config: () => call('GET', '/config.json'),
  threads: (limit = 20) => call('GET', `/api/threads?limit=${limit}`),
  thread: (threadId: string) => call('GET', `/api/threads/${id(threadId)}`),
  threadRuns: (threadId: string, nextToken?: string) =>
    call('GET', `/api/threads/${id(threadId)}/runs?limit=100${nextToken ? `&nextToken=${id(nextToken)}` : ''}`),
  pause: (threadId: string) => call('POST', `/api/threads/${id(threadId)}/pause`),
  resume: (threadId: string) => call('POST', `/api/threads/${id(threadId)}/resume`),
  cancelQueue: (threadId: string) => call('POST', `/api/threads/${id(threadId)}/cancel`, { include: 'queued' }),
  run: (runId: string) => call('GET', `/api/runs/${id(runId)}`),
  events: (runId: string, after: string | null, waitSeconds: number) =>
    call('GET', `/api/runs/${id(runId)}/events?waitSeconds=${waitSeconds}${after ? `&after=${id(after)}` : ''}`),
  cancelRun: (runId: string) => call('POST', `/api/runs/${id(runId)}/cancel`),
  rerun: (runId: string) => call('POST', `/api/runs/${id(runId)}/rerun`, {}),
  execution: (executionArn: string) => call('GET', `/sfn/execution?executionArn=${id(executionArn)}`),
};

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'EXPIRED', 'REJECTED']);
