// A real gateway process whose agents fault on purpose, for test/e2e/crash-containment.test.ts. It runs the
// same supervision as `exovoice serve` (superviseGateway) with the durable call store, so what the test sees
// (records, exit codes, the process staying up) is what production does.
import { AgentCatalog } from '../../src/agent/assembly/catalog.js';
import { RecordJournal } from '../../src/call/record-journal.js';
import { superviseGateway } from '../../src/cli/fault-policy.js';
import { loadConfig } from '../../src/config/env.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { buildGateway } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore } from '../../src/store/sqlite-call-store.js';

/** Plays a steady tone for the whole call, so the test can look for gaps in what comes out. */
const steady: Agent = {
  name: 'steady',
  start(call) {
    call.play(new Int16Array(call.info.sampleRate * 20).fill(1000));
    return { onAudio() {} };
  },
};

/** Faults the way custom parameter `fault` says: in onAudio, in a timer of its own, or in a mark handler. */
const faulty: Agent = {
  name: 'faulty',
  start(call) {
    const fault = call.info.customParameters.fault;
    if (fault === 'timer') {
      setTimeout(async () => {
        throw new Error('fault: timer rejected');
      }, 200);
    }
    if (fault === 'mark') {
      call.play(new Int16Array(160));
      void call.mark('m1').then(() => {
        throw new Error('fault: mark handler threw');
      });
    }
    return {
      onAudio() {
        if (fault === 'audio') throw new Error('fault: onAudio threw');
      },
    };
  },
};

const config = loadConfig({ ...process.env, HOST: '127.0.0.1' });
const logger = createLogger(config.logLevel);
const agents = new AgentCatalog('steady').add(steady).add(faulty);
const store = openSqliteCallStore({ dataDir: config.dataDir, onError: (err) => logger.error({ err }, 'store write failed') });
const journal = new RecordJournal(store, logger);
const gateway = await buildGateway({ config, logger, agents, store, journal });
await gateway.app.listen({ port: config.port, host: '127.0.0.1' });
// SIGUSR2: a fault that belongs to no call (a signal handler runs outside every call's scope).
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('fault outside any call');
  });
});
process.exit(await superviseGateway({ gateway, logger, drainTimeoutMs: config.drainTimeoutMs, afterDrain: () => store.close() }));
