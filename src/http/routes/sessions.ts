import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { SessionRegistry } from '../../call/session-registry.js';

export interface SessionsOptions {
  registry: SessionRegistry;
  guard: preHandlerHookHandler;
}

/** Live calls; an ended call disappears at once. */
export async function sessionsRoutes(app: FastifyInstance, opts: SessionsOptions): Promise<void> {
  app.get('/voicebot/sessions', { preHandler: opts.guard }, async () => {
    const sessions = await opts.registry.list();
    return { count: sessions.length, sessions };
  });
}
