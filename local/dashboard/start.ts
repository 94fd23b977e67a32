import { randomBytes } from 'node:crypto';
import { loadUiBundle } from './asset';
import { createDashboardApp } from './app';
import { Dashboard, type DashboardOptions } from './dashboard';
import { listen } from './server';

export interface StartDashboardOptions extends DashboardOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface RunningDashboard {
  readonly url: string;
  readonly dashboard: Dashboard;
  /** Stops serving, stops the feeds and removes the temporary rule and queue. */
  close(): Promise<void>;
}

/** Starts the feeds and serves the page; the page's assets are built first if they must be. */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  await loadUiBundle();
  const dashboard = new Dashboard(options);
  const app = createDashboardApp(dashboard, {
    assets: loadUiBundle,
    csrfToken: randomBytes(24).toString('base64url'),
    allowedHostnames: [...new Set(['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host}]` : host])],
  });
  await dashboard.start();
  let server;
  try {
    server = await listen(app, { host, port: options.port ?? 0 });
  } catch (error) {
    await dashboard.stop();
    throw error;
  }
  const running = server;
  return {
    url: running.url,
    dashboard,
    close: async () => {
      await running.close();
      await dashboard.stop();
    },
  };
}
