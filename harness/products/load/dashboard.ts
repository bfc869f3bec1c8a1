import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderLoadHtml } from '../../../reports/load-html.ts';
import type { LoadObserver } from './run-load.ts';
import type { LoadSummary, WindowPoint } from '../../../reports/load-summary.ts';
import type { ResolvedLoadPlan } from './types.ts';

/** A running dashboard: its URL, the observer to hand to runLoad, and how to end it. */
export interface Dashboard extends AsyncDisposable {
  readonly url: string;
  readonly observer: LoadObserver;
  /** Send the final summary: the page becomes the report. */
  finish(summary: LoadSummary): void;
  close(): Promise<void>;
}

/**
 * Serve the live view of a load run on 127.0.0.1: `/` is the report page in live mode,
 * `/events` streams server-sent events (`phase`, `window` each second, then `summary`),
 * `/data` the points so far. A page opened late starts from every point so far.
 */
export async function startDashboard(o: { plan: ResolvedLoadPlan; port?: number }): Promise<Dashboard> {
  const timeline: WindowPoint[] = [];
  const clients = new Set<ServerResponse>();
  let final: LoadSummary | undefined;
  const base = { plan: { name: o.plan.name, describe: `live: ${o.plan.arrival.shape}`, devices: o.plan.devices, seed: o.plan.seed } };
  const send = (event: string, data: unknown) => {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(text);
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': fleetbed load\n\n');
      if (final) res.write(`event: summary\ndata: ${JSON.stringify(final)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (path === '/data') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(final ?? { ...base, timeline }));
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderLoadHtml(final ?? { ...base, timeline: [...timeline] }, { live: !final }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const c of clients) c.end();
    clients.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    observer: {
      phase: (name, detail) => send('phase', { name, detail }),
      window: (p) => {
        timeline.push(p);
        send('window', p);
      },
    },
    finish(summary) {
      final = summary;
      send('summary', summary);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
