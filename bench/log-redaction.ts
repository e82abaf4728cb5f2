/**
 * What keeping personal data and credentials out of the logs costs per line: a "request completed" line
 * naming the request, the line every request writes (src/platform/request-logging.ts). Measured, in
 * interleaved rounds in the same run: that line through the gateway's logger (src/platform/logger.ts,
 * which walks each line once for sensitive fields: what every line the gateway logs goes through), a
 * bare pino logger that redacts nothing (the baseline), and pino's own `redact` option with one
 * wildcard path per sensitive field and level (what the gateway used before, for comparison). Each writes to /dev/null through pino's synchronous destination, a write per line.
 * Run: npx tsx bench/log-redaction.ts [lines per round], or import `runLogRedactionBench`.
 */
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { createLogger, REDACTED, SENSITIVE_FIELDS } from '../src/platform/logger.ts';

const ROUNDS = 5;

export interface LogRedactionFigures {
  bench: 'log-redaction';
  lines: number;
  gatewayMicrosPerLine: number;
  baselineMicrosPerLine: number;
  pinoRedactMicrosPerLine: number;
  /** Baseline time over the gateway's: 1 means redaction costs nothing. */
  ratio: number;
  pinoRedactRatio: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

type LineWriter = (i: number) => void;

/** A logger's info(), given the request line as an object. */
const throughLogger =
  (logger: Logger): LineWriter =>
  (i) => {
    const request = { id: `req-${i}`, method: 'GET', path: '/me' };
    logger.info({ req: request, res: { statusCode: 200 }, responseTime: 3 }, 'request completed');
  };

/** Microseconds per line of `lines` request lines. */
function measure(write: LineWriter, lines: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < lines; i++) write(i);
  return Number(process.hrtime.bigint() - started) / 1000 / lines;
}

export function runLogRedactionBench(
  options: { lines?: number; print?: ((line: string) => void) | null } = {},
) {
  const lines = options.lines ?? 50_000;
  const print = options.print === undefined ? (line: string) => console.log(line) : options.print;
  const sink = () => pino.destination({ dest: '/dev/null', sync: true });
  const base = { level: 'info', base: { service: 'varco' }, timestamp: pino.stdTimeFunctions.isoTime };
  const loggers = {
    gateway: throughLogger(createLogger('info', sink())),
    baseline: throughLogger(pino(base, sink())),
    pinoRedact: throughLogger(
      pino(
        {
          ...base,
          redact: {
            paths: SENSITIVE_FIELDS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
            censor: REDACTED,
          },
        },
        sink(),
      ),
    ),
  };
  const times = {
    gateway: [] as number[],
    baseline: [] as number[],
    pinoRedact: [] as number[],
  };
  for (const logger of Object.values(loggers)) measure(logger, lines / 5); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(loggers) as (keyof typeof loggers)[]) {
      times[name].push(measure(loggers[name], lines));
    }
  }
  const gateway = median(times.gateway);
  const baseline = median(times.baseline);
  const pinoRedact = median(times.pinoRedact);
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  const figures: LogRedactionFigures = {
    bench: 'log-redaction',
    lines,
    gatewayMicrosPerLine: round3(gateway),
    baselineMicrosPerLine: round3(baseline),
    pinoRedactMicrosPerLine: round3(pinoRedact),
    ratio: round3(baseline / gateway),
    pinoRedactRatio: round3(baseline / pinoRedact),
  };
  print?.(JSON.stringify(figures));
  return figures;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  runLogRedactionBench(process.argv[2] ? { lines: Number(process.argv[2]) } : {});
  process.exit(0);
}
