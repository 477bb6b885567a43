/**
 * Offline use: registers the service worker (workers/sw.ts, built by vite-plugin-pwa) with
 * workbox-window and tells the header's badge (OfflineBadge.svelte) how far it is. "Ready" is
 * never assumed from the worker's state alone: the active worker is asked how many of its
 * precached files are really in the cache, and only all of them count.
 */
import { Workbox, messageSW } from 'workbox-window';

/**
 * `off`: no service worker is registered (the dev server); `preparing`: the first installation is
 * downloading the files; `ready`: every precached file is in the cache; `incomplete`: an active
 * worker whose cache lost files (the browser evicted them); `unavailable`: no offline copy.
 */
export type OfflinePhase = 'off' | 'preparing' | 'ready' | 'incomplete' | 'unavailable';

/** The service worker's answer to `OFFLINE_STATUS` (workers/sw.ts). */
interface OfflineStatus {
  readonly total: number;
  readonly cached: number;
}

export class OfflineState {
  phase = $state<OfflinePhase>('off');
  /** Precached files in the cache, and how many there are in all (0 until the worker answers). */
  cached = $state(0);
  total = $state(0);
  /** Why offline use is not (fully) available, in words. */
  reason = $state('');
  /** A newer build is installed and waits for this page to let it take over. */
  updateWaiting = $state(false);
  #workbox: Workbox | undefined;

  attach(workbox: Workbox): void {
    this.#workbox = workbox;
  }

  /** Lets the waiting build take over; the page reloads once it controls it. */
  update(): void {
    this.#workbox?.messageSkipWaiting();
  }
}

export const offline = new OfflineState();

const ANSWER_TIMEOUT_MS = 5_000;

async function askStatus(worker: ServiceWorker): Promise<OfflineStatus | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, ANSWER_TIMEOUT_MS));
  const answer = messageSW(worker, { type: 'OFFLINE_STATUS' }) as Promise<OfflineStatus>;
  return Promise.race([answer.catch(() => undefined), timeout]);
}

/** Resolves true once `worker` is activated, false if it becomes redundant (its install failed). */
function activation(worker: ServiceWorker): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (worker.state === 'activated') resolve(true);
      else if (worker.state === 'redundant') resolve(false);
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

export async function registerServiceWorker(scriptUrl: string, state: OfflineState = offline): Promise<void> {
  if (!('serviceWorker' in navigator)) {
    state.phase = 'unavailable';
    state.reason = 'this browser does not allow service workers here (a private window may turn them off)';
    return;
  }
  state.phase = 'preparing';
  const workbox = new Workbox(scriptUrl);
  state.attach(workbox);
  // An update installed in the background waits until every tab of the old build is closed, or
  // until the badge's button lets it take over; then reload, so the page matches its files.
  workbox.addEventListener('waiting', () => (state.updateWaiting = true));
  workbox.addEventListener('controlling', (event) => {
    if (event.isUpdate) window.location.reload();
  });

  let registration: ServiceWorkerRegistration | undefined;
  try {
    registration = await workbox.register();
  } catch (error) {
    state.phase = 'unavailable';
    state.reason = `the service worker could not be registered (${(error as Error).message})`;
    return;
  }
  const installing = registration?.installing ?? registration?.waiting;
  if (registration && !registration.active && installing) {
    // The first installation: the worker downloads every file before it activates.
    let asking = false;
    const progress = setInterval(() => {
      if (asking) return;
      asking = true;
      void askStatus(installing).then((status) => {
        asking = false;
        if (status && state.phase === 'preparing') ({ cached: state.cached, total: state.total } = status);
      });
    }, 1_000);
    const activated = await activation(installing);
    clearInterval(progress);
    if (!activated) {
      state.phase = 'unavailable';
      state.reason = 'the files could not all be stored (storage full, or the network failed while downloading)';
      return;
    }
  }
  const active = registration?.active;
  const status = active ? await askStatus(active) : undefined;
  if (!status) {
    state.phase = 'unavailable';
    state.reason = 'the service worker did not answer';
    return;
  }
  ({ cached: state.cached, total: state.total } = status);
  if (status.cached === status.total) {
    state.phase = 'ready';
    state.reason = '';
  } else {
    state.phase = 'incomplete';
    state.reason = `${status.total - status.cached} of ${status.total} files are missing from the offline copy`;
  }
}
