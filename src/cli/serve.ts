import cluster from 'node:cluster';
import { createBuiltinAgents, prepareAgents } from '../agent/assembly/build-catalog.js';
import { AgentDefinitionError } from '../agent/definition/loader.js';
import { ConfigError, EXOTEL_SAMPLE_RATES, loadConfig, loadDotEnv } from '../config/env.js';
import { closeOrphanedCalls } from '../call/orphan-recovery.js';
import { RecordJournal } from '../call/record-journal.js';
import type { LocalControlBus } from '../call/live-control.js';
import { startFleet } from '../fleet/fleet.js';
import { buildGateway } from '../http/server.js';
import { applyServeArgs, runCluster, workerCount } from './cluster.js';
import { superviseGateway } from './fault-policy.js';
import { openCallStore, StoreOpenError } from '../store/open-call-store.js';
import { createLogger } from '../observability/logger.js';
import { registerNodeInfo } from '../observability/metrics.js';
import { maskUrl } from '../observability/redact.js';

/**
 * `exovoice serve [--workers N]`: runs the gateway until SIGTERM/SIGINT (drains calls, exits 0) or a fault outside
 * any call (drains, exits 1); a fault inside a call ends that call only. With several workers this process is
 * their primary (cli/cluster.ts) and each worker runs the rest of this function.
 */
export async function serveCommand(argv: string[] = []): Promise<number> {
  let config;
  try {
    const exit = applyServeArgs(argv);
    if (exit !== undefined) return exit;
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`exovoice: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const baseLogger = createLogger(config.logLevel, { format: config.logFormat });
  const workers = workerCount(config.workers);
  if (cluster.isPrimary && workers > 1) return runCluster(config, workers, baseLogger);
  // Several workers write to one stdout: each line says whose it is.
  const logger = cluster.isWorker ? baseLogger.child({ node: config.nodeId }) : baseLogger;
  // Before the agents, which take a while to prepare: a bad DATA_DIR or DATABASE_URL fails start-up at once.
  let store;
  try {
    store = await openCallStore(config, {
      // At most one line a minute per kind of failure; `suppressed` counts the ones in between.
      onError: (err, info) => logger.error({ err, ...info }, 'call record store write failed'),
      onRecover: (info) => logger.warn(info, 'call record store writing again'),
    });
  } catch (err) {
    if (!(err instanceof StoreOpenError)) throw err;
    console.error(`exovoice: ${err.message}`);
    return 1;
  }
  let agents;
  try {
    agents = createBuiltinAgents(config.defaultAgent, {
      warn: (message) => logger.warn(message),
      recordCalls: config.recordings.enabled,
      sttPoolSize: config.stt.workers,
      sttDecodersPerWorker: config.stt.decodersPerWorker,
      sttCmn: config.stt.cmn,
      sttLoopPass: config.stt.loopPass,
    });
    // Every rate Exotel streams at (a static applet URL may name any): each prompt is synthesized once and
    // converted, so a call's greeting starts from memory whatever its rate.
    await prepareAgents(agents, EXOTEL_SAMPLE_RATES);
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof AgentDefinitionError;
    console.error(`exovoice: ${known ? '' : 'agents failed to start: '}${(err as Error).message}`);
    await store.close();
    return 1;
  }
  // In a fleet, open records may be other nodes' live calls: the fleet's sweeper closes those of nodes that died.
  const fleet = config.redisUrl ? await startFleet({ config, logger, store }) : undefined;
  if (!fleet) {
    const orphans = await closeOrphanedCalls(store);
    if (orphans > 0) logger.warn({ calls: orphans }, 'closed inbound call records left open by a previous run that stopped abruptly');
  }
  const journal = new RecordJournal(store, logger.child({ component: 'records' }));
  const fleetParts = fleet
    ? { registry: fleet.registry, details: fleet.details, fleet, nodeId: fleet.nodeId, control: (local: LocalControlBus) => fleet.controlBus(local) }
    : {};
  const gateway = await buildGateway({ config, logger, agents, store, journal, ...fleetParts });
  const address = await gateway.app.listen({ port: config.port, host: config.host });
  registerNodeInfo(gateway.metrics.registry, config.nodeId);
  logger.info(
    {
      address,
      webhook: '/api/v1/exotel/voice/connect',
      wsPath: config.wsPath,
      publicBaseUrl: config.publicBaseUrl ? maskUrl(config.publicBaseUrl) : '(from request headers)',
      sampleRate: config.sampleRate,
      defaultAgent: agents.defaultAgent,
      wsAuth: config.wsToken ? 'EXOTEL_WS_TOKEN' : 'none',
      nodeId: fleet ? config.nodeId : undefined,
    },
    'exovoice gateway listening',
  );
  if (!config.wsToken) logger.warn('EXOTEL_WS_TOKEN is not set: anyone who can reach the media WebSocket can open a call');
  if (!config.apiKey) logger.warn('API_KEY is not set: the admin API (/voicebot/sessions, /call, /calls) answers loopback requests only');

  const afterDrain = async () => {
    await fleet?.close();
    await store.close();
  };
  return superviseGateway({ gateway, logger, drainTimeoutMs: config.drainTimeoutMs, afterDrain });
}
