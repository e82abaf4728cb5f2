// Runs the test suite, or one part of it: `node scripts/test.mjs [unit|integration|browser] [mocha options]`
// (`npm test`, `npm run test:unit`, …; docs/development.md). The files run in parallel mocha workers, one
// per core and at least two (the unit part alone: in one process); then, one file at a time, the files
// whose tests kill, freeze or fill a Redis or a gateway process, or wait out a session's timeout, against
// the real clock: under the load of the parallel workers their timing would be the machine's, not the code's.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

// Longest first: the workers take the files in this order, and the many short unit files fill the end.
const PARTS = { browser: 'test/browser', integration: 'test/integration', unit: 'test/unit' };

// The longest files of all, started before the rest: a long file taken last keeps the run waiting on it
// while the other workers are done.
const LONGEST = [
  'test/integration/spid-conformance.test.ts',
  'test/browser/catalog-layout.test.ts',
  'test/browser/procedure-journey.test.ts',
  'test/browser/accessibility.test.ts',
  'test/browser/catalog-pages.test.ts',
  'test/browser/kit-stylesheet.test.ts',
];

const ONE_AT_A_TIME = [
  'test/integration/redis-sentinel.test.ts',
  'test/integration/redis-cluster.test.ts',
  'test/integration/redis-full.test.ts',
  'test/integration/redis-outage.test.ts',
  'test/integration/confirmation-outcome.test.ts',
  'test/integration/procedures-durability.test.ts',
  'test/integration/delivery-queue-recovery.test.ts',
  'test/integration/graceful-shutdown.test.ts',
  'test/integration/mail.test.ts',
  'test/integration/session-lifetime.test.ts',
];

const [first, ...rest] = process.argv.slice(2);
const part = first in PARTS ? first : undefined;
const mochaOptions = part || first === undefined ? rest : [first, ...rest];
const folders = part ? [PARTS[part]] : Object.values(PARTS);
const serial = ONE_AT_A_TIME.filter((file) => folders.some((folder) => file.startsWith(`${folder}/`)));

function mocha(args) {
  const run = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', ...args, ...mochaOptions], {
    stdio: 'inherit',
  });
  return run.status ?? 1;
}

// TEST_JOBS sets another number of workers. Tests mostly wait (a quiet run kept two cores 40 % busy), but
// on a two-core machine shared with other work four workers (load 30-39) had 36 tests run out of their
// timeouts, two workers (load 20-25) 9: more workers than cores only where the machine is otherwise idle.
const jobs = Number(process.env.TEST_JOBS) || Math.max(2, availableParallelism());

// The unit files alone are short ones: two workers take longer than one process (52 s against 31 s).
const workers =
  part === 'unit'
    ? []
    : [
        ...['--parallel', '--jobs', String(jobs)],
        // Keys a gateway generates on first start (var/) are made once, before the workers start together.
        ...['--require', 'test/setup/generated-keys.ts'],
      ];
const files = folders
  .flatMap((folder) =>
    readdirSync(folder, { recursive: true })
      .filter((name) => name.endsWith('.test.ts'))
      .sort()
      .map((name) => `${folder}/${name}`),
  )
  .filter((file) => !serial.includes(file));
const together = mocha([
  ...workers,
  ...LONGEST.filter((file) => files.includes(file)),
  ...files.filter((file) => !LONGEST.includes(file)),
]);
const oneByOne = serial.length > 0 ? mocha(serial) : 0;
process.exit(together || oneByOne);
