'use strict';

// Start the backend: PORT (default 8080) on every interface, stopped cleanly on
// SIGTERM so a rollout never cuts a request in half.

const { createServer } = require('./app');

const port = Number.parseInt(process.env.PORT || '8080', 10);
const host = process.env.HOST || '0.0.0.0';

const seed = [
  { title: 'Platform guild', startsAt: '2026-12-03T16:00:00.000Z', capacity: 40 },
  { title: 'Incident review', startsAt: '2026-12-01T10:00:00.000Z', capacity: null },
];

const server = createServer({
  seed,
  onError: (err) => process.stderr.write(`gatheraa: ${err.stack}\n`),
});

server.listen(port, host, () => {
  const addr = server.address();
  process.stdout.write(`gatheraa: listening on ${addr.address}:${addr.port}\n`);
});

function stop(signal) {
  process.stdout.write(`gatheraa: ${signal}, closing\n`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
