/**
 * The citizen's journey through the newborn bundle's pages: citizens walk the whole form (each page
 * read, then posted), the preview, the confirmation and the receipt, `concurrency` at a time, and the
 * requests per second are compared with the same number of requests for the personal area (/me, a
 * logged-in page that reads the session) of the same gateway in the same run. The ratio says what the
 * journey's work (validation, encrypted drafts in Redis, the idempotent confirmation, the case) costs
 * over a plain page. Rounds alternate the two and the medians are compared (the machine is shared).
 * Delivery workers are off: what is measured is the pages, not the bodies. Needs the test Redis
 * (127.0.0.1:6379); writes under its own key prefix and deletes it.
 * Run: npx tsx bench/journey.ts [citizens per round] [concurrency] [rounds], or import `runJourneyBench`.
 */
import { pathToFileURL } from 'node:url';
import { normaliseFiscalCode } from '../src/identity/citizen.ts';
import type { FieldDefinition } from '../src/procedures/definition.schema.ts';
import { createTestGateway, listen } from '../test/helpers/gateway.ts';
import { newbornForm } from '../test/helpers/procedures.ts';

export interface JourneyBenchOptions {
  citizens?: number;
  concurrency?: number;
  rounds?: number;
  print?: ((line: string) => void) | null;
}

/** A browser of one citizen: a cookie jar of one session, no redirects followed. */
function browserAt(base: string) {
  let cookie = '';
  return async (path: string, form?: Record<string, string>) => {
    const response = await fetch(`${base}${path}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie,
        accept: 'text/html',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] ?? '';
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${response.status} on ${path}`);
    return { status: response.status, location: response.headers.get('location') ?? '', text };
  };
}

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';

const posted = (field: FieldDefinition, value: string | number | boolean | undefined) =>
  value === undefined ? '' : field.type === 'checkbox' ? (value === true ? 'yes' : '') : String(value);

/** A distinct valid fiscal code per citizen (the check character found by trying each letter). */
function fiscalCode(n: number): string {
  const digits = String(n).padStart(6, '0');
  const first15 = `RSSMRA${digits.slice(0, 2)}A${digits.slice(2, 4)}H${digits.slice(3, 6)}`;
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    const code = normaliseFiscalCode(first15 + c);
    if (code) return code;
  }
  throw new Error('no check character');
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function runJourneyBench(options: JourneyBenchOptions = {}) {
  const citizens = options.citizens ?? 40;
  const concurrency = options.concurrency ?? 8;
  const rounds = options.rounds ?? 3;
  const print = options.print === undefined ? console.log : options.print;
  const gateway = await createTestGateway({ rateLimit: { forms: { windowSeconds: 60, max: 10_000_000 } } });
  const server = await listen(gateway.app);
  const pages = gateway.deps.procedures.procedures.get('newborn')?.definition.form.pages ?? [];
  const values = newbornForm();
  let citizenNumber = 0;

  /** One citizen's whole journey; returns the number of requests it made. */
  async function journey(): Promise<number> {
    const browse = browserAt(server.url);
    await browse(`/__test/login?level=2&fiscalCode=${fiscalCode(++citizenNumber)}`);
    let requests = 1;
    for (const page of pages) {
      const html = (await browse(`/procedures/newborn/pages/${page.id}`)).text;
      const form: Record<string, string> = { _csrf: hidden(html, '_csrf') };
      for (const field of page.fields) form[field.id] = posted(field, values[field.id]);
      await browse(`/procedures/newborn/pages/${page.id}`, form);
      requests += 2;
    }
    const preview = (await browse('/procedures/newborn/preview')).text;
    const filed = await browse('/procedures/newborn/preview', {
      _csrf: hidden(preview, '_csrf'),
      submission: hidden(preview, 'submission'),
      confirmed: 'yes',
    });
    if (!filed.location.endsWith('/receipt')) throw new Error('no receipt');
    await browse(filed.location);
    return requests + 3;
  }

  const journeyRates: number[] = [];
  const baselineRates: number[] = [];
  let requestsPerJourney = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const measureJourneys = async () => {
        const started = performance.now();
        let requests = 0;
        await inParallel(citizens, concurrency, async () => {
          const made = await journey(); // not `requests += await …`: that reads `requests` before waiting
          requests += made;
        });
        requestsPerJourney = requests / citizens;
        journeyRates.push(requests / ((performance.now() - started) / 1000));
      };
      const measureBaseline = async () => {
        const browse = browserAt(server.url);
        await browse(`/__test/login?level=2&fiscalCode=${fiscalCode(++citizenNumber)}`);
        const total = Math.round(citizens * (requestsPerJourney || 16));
        const started = performance.now();
        await inParallel(total, concurrency, async () => {
          await browse('/me');
        });
        baselineRates.push(total / ((performance.now() - started) / 1000));
      };
      // Alternating order, so neither side always runs on a warmer (or busier) machine.
      if (round % 2 === 0) {
        await measureJourneys();
        await measureBaseline();
      } else {
        await measureBaseline();
        await measureJourneys();
      }
    }
  } finally {
    await server.close();
    await gateway.close();
  }
  const figures = {
    bench: 'journey',
    citizensPerRound: citizens,
    concurrency,
    rounds,
    requestsPerJourney,
    journeysPerSecond: Number((median(journeyRates) / requestsPerJourney).toFixed(2)),
    journeyRequestsPerSecond: Number(median(journeyRates).toFixed(1)),
    baselineRequestsPerSecond: Number(median(baselineRates).toFixed(1)),
    ratio: Number((median(journeyRates) / median(baselineRates)).toFixed(3)),
  };
  print?.(JSON.stringify(figures));
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [citizens, concurrency, rounds] = process.argv.slice(2).map(Number);
  await runJourneyBench({
    ...(citizens ? { citizens } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(rounds ? { rounds } : {}),
  });
  process.exit(0);
}
