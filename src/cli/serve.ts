import { createBuiltinAgents, prepareAgents } from '../agent/assembly/build-catalog.js';
import { AgentDefinitionError } from '../agent/definition/loader.js';
import { ConfigError, loadConfig, loadDotEnv } from '../config/env.js';
import { closeOrphanedCalls } from '../call/orphan-recovery.js';
import { RecordJournal } from '../call/record-journal.js';
import { buildGateway } from '../http/server.js';
import { openSqliteCallStore } from '../store/sqlite-call-store.js';
import { createLogger } from '../observability/logger.js';
import { maskUrl } from '../observability/redact.js';

/** `exovoice serve`: runs the gateway until SIGTERM/SIGINT, then drains calls and exits 0. */
export async function serveCommand(): Promise<number> {
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`exovoice: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  let agents;
  try {
    agents = createBuiltinAgents(config.defaultAgent, { warn: (message) => logger.warn(message) });
    // The configured rate, and 8 kHz for static applet URLs that name no rate; others are prepared on first use.
    await prepareAgents(agents, [...new Set([8000, config.sampleRate])]);
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof AgentDefinitionError;
    console.error(`exovoice: ${known ? '' : 'agents failed to start: '}${(err as Error).message}`);
    return 1;
  }
  const store = openSqliteCallStore({
    dataDir: config.dataDir,
    onError: (err) => logger.error({ err }, 'call record store write failed'),
  });
  const orphans = await closeOrphanedCalls(store);
  if (orphans > 0) logger.warn({ calls: orphans }, 'closed inbound call records left open by a previous run that stopped abruptly');
  const journal = new RecordJournal(store, logger.child({ component: 'records' }));
  const gateway = await buildGateway({ config, logger, agents, store, journal });
  const address = await gateway.app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      address,
      webhook: '/api/v1/exotel/voice/connect',
      wsPath: config.wsPath,
      publicBaseUrl: config.publicBaseUrl ? maskUrl(config.publicBaseUrl) : '(from request headers)',
      sampleRate: config.sampleRate,
      defaultAgent: agents.defaultAgent,
      wsAuth: config.wsToken ? 'EXOTEL_WS_TOKEN' : 'none',
    },
    'exovoice gateway listening',
  );
  if (!config.wsToken) logger.warn('EXOTEL_WS_TOKEN is not set: anyone who can reach the media WebSocket can open a call');
  if (!config.apiKey) logger.warn('API_KEY is not set: the admin API (/voicebot/sessions, /call, /calls) answers loopback requests only');

  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, activeCalls: gateway.registry.size, drainTimeoutMs: config.drainTimeoutMs }, 'draining');
      const { endedByDrain } = await gateway.drain(config.drainTimeoutMs);
      await store.close();
      logger.info({ endedByDrain }, 'stopped');
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
