/**
 * A simulator process of the gateway benchmark: runs its share of the calls (bench/gateway-load.ts) on command from
 * the parent over IPC, so the calls' CPU is spread over processes and counted apart from the gateway's.
 */
import { LoadGenerator } from './gateway-load.js';

export type SimCommand =
  | { cmd: 'frames'; frameMs: number; frames: string[] }
  | { cmd: 'open'; urlPrefix: string; ids: number[] }
  | { cmd: 'reset' | 'window' | 'close' | 'exit' };

let load: LoadGenerator | undefined;

process.on('message', async (raw: unknown) => {
  const m = raw as SimCommand;
  switch (m.cmd) {
    case 'frames':
      load = new LoadGenerator(m.frames.map((f) => Buffer.from(f)), m.frameMs);
      break;
    case 'open':
      await load!.open((id) => `${m.urlPrefix}${id}`, m.ids);
      break;
    case 'reset':
      load!.reset();
      break;
    case 'window':
      return process.send!({ cmd: 'window', window: load!.window() });
    case 'close':
      await load!.close();
      break;
    case 'exit':
      process.exit(0);
  }
  process.send!({ cmd: m.cmd });
});
process.send!({ cmd: 'ready' });
