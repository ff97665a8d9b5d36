// The console's static shell: the files of console/ at the repository root and the few vendor modules it imports,
// read once at start-up and served from memory. Nothing comes from a CDN. The shell holds no data: every data
// request it makes goes to an admin-guarded route (console-api.ts), so the shell itself needs no key.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** console/ at the repository root. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

const require = createRequire(import.meta.url);
const pkgFile = (specifier: string, file: string) => join(dirname(require.resolve(specifier)), file);

/** The browser's names for the vendor modules (the import map in index.html uses them), and their files. */
const VENDOR: Record<string, string> = {
  'preact.js': pkgFile('preact', 'preact.module.js'),
  'preact-hooks.js': pkgFile('preact/hooks', 'hooks.module.js'),
  'htm.js': pkgFile('htm', 'htm.module.js'),
  'uplot.js': pkgFile('uplot', 'uPlot.esm.js'),
  'uplot.css': pkgFile('uplot', 'uPlot.min.css'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

function staticFile(path: string): StaticFile {
  const body = readFileSync(path);
  return { body, type: TYPES[extname(path)]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : TYPES[extname(name)] ? [path] : [];
    });
}

/**
 * Only this origin, for everything; the one inline script is index.html's import map, allowed by its hash.
 * `connect-src 'self'` covers the softphone's ws:/wss: to this host (CSP level 3).
 */
export function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
  const hash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;
  return [
    "default-src 'self'",
    `script-src 'self'${hash}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface ConsoleOptions {
  /** Default: console/ at the repository root. */
  dir?: string;
}

/** `GET /console` (the shell), `/console/<file>` and `/console/vendor/<module>`. */
export async function consoleRoutes(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const dir = opts.dir ?? CONSOLE_DIR;
  const files = new Map<string, StaticFile>();
  for (const path of filesUnder(dir)) files.set(`/console/${relative(dir, path).split(sep).join('/')}`, staticFile(path));
  for (const [name, path] of Object.entries(VENDOR)) files.set(`/console/vendor/${name}`, staticFile(path));
  const index = files.get('/console/index.html');
  if (!index) throw new Error(`console: no index.html in ${dir}`);
  const csp = contentSecurityPolicy(index.body.toString('utf8'));

  const send = (reply: FastifyReply, file: StaticFile, ifNoneMatch: string | undefined) => {
    reply
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // Revalidated every time: a changed file after an upgrade is seen at once, an unchanged one costs a 304.
      .header('cache-control', 'no-cache')
      .header('etag', file.etag);
    if (ifNoneMatch === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  for (const url of ['/console', '/console/']) app.get(url, async (req, reply) => send(reply, index, req.headers['if-none-match']));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    const file = files.get(`/console/${req.params['*']}`);
    if (!file) return reply.code(404).send({ error: 'no such console file' });
    return send(reply, file, req.headers['if-none-match']);
  });
}
