import { z } from 'zod';

/**
 * Settings of the composite-procedure engine (section `procedures` of the configuration). Production
 * refuses to start without a delivery signing key (checked where it is loaded).
 */
export const proceduresConfigSchema = z
  .strictObject({
    /** Folder of procedure definitions (one YAML file per procedure). */
    definitionsDir: z.string().default('config/procedures'),
    /** ES256 private key (PKCS#8 PEM text or a file) that signs deliveries; generated under varDir outside production. */
    signingKey: z.string().optional(),
    signingKeyFile: z.string().optional(),
    /** Where development and demo mode keep the keys they generate once (never committed). */
    varDir: z.string().default('var/procedures'),
    /** How long personal data of a finished case stays readable by its citizen before it is purged. */
    retainDataSeconds: z
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 60 * 60),
    /** How long a form left half-way is kept. */
    draftSeconds: z
      .number()
      .int()
      .positive()
      .default(30 * 24 * 60 * 60),
    delivery: z
      .strictObject({
        /** Whether this instance runs the delivery workers (they can run in separate processes instead). */
        workers: z.boolean().default(true),
        /**
         * Attempts per delivery, with exponential back-off from backoffMs (5 s, 10 s, 20 s, … ): the
         * defaults cover an endpoint that is down for about 2 h 50 min; then the dead-letter list.
         */
        attempts: z.number().int().min(1).max(30).default(12),
        backoffMs: z.number().int().min(10).default(5000),
        timeoutMs: z.number().int().min(100).default(10_000),
        concurrency: z.number().int().min(1).max(100).default(5),
        /** How long a worker holds a job before another instance may take it over (a killed worker). */
        lockMs: z.number().int().min(500).default(30_000),
        /**
         * How many times a delivery may be taken over from a worker that died holding it (a killed or
         * crashed instance) before it goes to the dead letters. Counted apart from `attempts`: a crash is
         * not the endpoint failing. The bound stops a delivery that itself kills its workers.
         */
        maxStalls: z.number().int().min(1).max(1000).default(20),
        /**
         * How often each worker is checked (delivery-queue.ts): one not running, or one that fetched
         * nothing at two checks in a row while jobs waited, is recreated.
         */
        supervisionMs: z.number().int().min(100).default(10_000),
      })
      .prefault({}),
    /** The demo body systems (demo mode only): how slow and how unreliable they are. */
    demoBodySystems: z
      .strictObject({
        delayMs: z.number().int().min(0).max(600_000).default(3000),
        failureRate: z.number().min(0).max(1).default(0.2),
      })
      .prefault({}),
  })
  .prefault({});

export type ProceduresConfig = z.infer<typeof proceduresConfigSchema>;
