import { serveCommand } from './serve.js';

const USAGE = `usage: exovoice <command> [options]

commands:
  serve       run the gateway (default); --workers N|auto: N processes sharing the port (needs REDIS_URL, DATABASE_URL)
  simulate    play Exotel against a running server (exovoice simulate --help)
  call        place an outbound call through a running server (exovoice call --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(rest);
    case 'simulate': {
      const { simulateCommand } = await import('./simulate.js');
      return simulateCommand(rest);
    }
    case 'call': {
      const { callCommand } = await import('./call.js');
      return callCommand(rest);
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`exovoice: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
