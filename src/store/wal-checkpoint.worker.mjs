// Runs SQLite WAL checkpoints on its own thread and connection, so their fsyncs never stall the main
// thread (see wal-checkpointer.ts). Plain JS: workers run without the tsx loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, maxWalFrames } = workerData;
const db = new Database(path);
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 1000');

function checkpoint() {
  try {
    // PASSIVE: copy what it can without waiting on the writer or readers; a later round finishes the rest.
    let [result] = db.pragma('wal_checkpoint(PASSIVE)');
    // The WAL only rewinds when a write finds it fully copied back; under constant writes that may keep
    // missing, so past maxWalFrames force it: RESTART holds writers off briefly while it copies the rest.
    if (result.log > maxWalFrames) [result] = db.pragma('wal_checkpoint(RESTART)');
    parentPort.postMessage({ type: 'checkpoint', busy: result.busy, log: result.log, checkpointed: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort.on('message', (msg) => {
  if (msg === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
