import { z } from 'zod';

/**
 * Usage statistics and operators' metrics (section `stats` of the configuration, src/stats). Retention
 * is by key expiry: days, hours and months each last their own time (docs/statistics.md).
 */
export const statsConfigSchema = z
  .strictObject({
    /** Whether usage is counted at all (off: nothing is recorded; the pages show what was). */
    recording: z.boolean().default(true),
    /**
     * Demo mode only: a year of the demo network's use, generated once, so the statistics pages have
     * something to show (src/demo/stats-seed.ts). No effect outside demo mode.
     */
    demoHistory: z.boolean().default(true),
    /** Days a day's counters are kept (ranges older than this are read from the monthly rollups). */
    dailyRetentionDays: z.number().int().min(8).max(3660).default(92),
    /** Days the hourly counters are kept (the last week's hours). */
    hourlyRetentionDays: z.number().int().min(1).max(31).default(8),
    /** Months the monthly rollups (and the open data made from them) are kept. */
    monthlyRetentionMonths: z.number().int().min(1).max(240).default(25),
    /** How often an instance writes what it counted to Redis (one pipelined batch). */
    flushIntervalMs: z.number().int().min(10).max(60_000).default(1000),
    /** Counts below this are published as "< 10" (pages and exports); zero-result terms need as many visitors. */
    threshold: z.number().int().min(2).max(1000).default(10),
    /**
     * Bearer token for GET /metrics (METRICS_TOKEN); without one /metrics answers 404. At least 32
     * characters: it is compared in constant time but is the only thing guarding the endpoint.
     */
    metricsToken: z.string().min(32, 'the metrics token needs at least 32 characters').optional(),
  })
  .prefault({});

export type StatsConfig = z.infer<typeof statsConfigSchema>;
