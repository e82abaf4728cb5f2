import { z } from 'zod';

const limit = z.strictObject({
  windowSeconds: z.number().int().positive(),
  max: z.number().int().positive(),
});

/**
 * Citizens' participation (section `participation` of the configuration): ratings of services and of
 * information sheets.
 */
export const participationConfigSchema = z
  .strictObject({
    ratings: z
      .strictObject({
        /** Days after a use during which its service can be rated and the rating changed; then closed. */
        openDays: z.number().int().min(1).max(60).default(7),
        /**
         * Days each rating (its stars, reasons and screened comment) is kept for the body's editors to read
         * after the day it was given; the counters it moved (averages, distributions, months) stay.
         */
        keepDays: z.number().int().min(90).max(3650).default(730),
        /** Ratings a subject needs before its average and distribution are shown on its sheet. */
        threshold: z.number().int().min(1).max(1000).default(10),
        /** Anonymous ratings of information sheets per client address, over all sheets. */
        sheetPerClient: limit.default({ windowSeconds: 60 * 60, max: 20 }),
        /** Anonymous ratings of one information sheet per client address. */
        sheetPerPage: limit.default({ windowSeconds: 24 * 60 * 60, max: 2 }),
      })
      .prefault({}),
  })
  .prefault({});

export type ParticipationConfig = z.infer<typeof participationConfigSchema>;
