// What the API server keeps up by itself (./apiservices.ts, ./flowcontrol.ts) resyncs on
// change: a change starts a sync, changes during one start one more after it, never two at
// once. Failures are logged, as a controller's HandleError would.
import { logger } from '../../util/log.js';

const log = logger('apiserver');

/** A function that runs `sync` now, or once more after the run in progress. */
export function resyncer(what: string, sync: () => Promise<void>): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const kick = () => {
    if (running) { again = true; return; }
    running = sync().catch((err) => log.error({ err }, `${what} failed`)).finally(() => {
      running = undefined;
      if (again) { again = false; kick(); }
    });
  };
  return kick;
}
