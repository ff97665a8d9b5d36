// Runs SQLite WAL checkpoints on its own thread and connection, so their fsyncs never stall the main
// thread (see wal-checkpointer.ts). Plain JS: workers run without the tsx loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData;
const db = new Database(path);
db.pragma('synchronous = NORMAL');

function checkpoint() {
  try {
    // PASSIVE: copy what it can without waiting on the writer or readers; a later round finishes the rest.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
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
