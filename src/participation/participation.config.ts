import { z } from 'zod';
import { URP_KINDS } from './urp/model.ts';

const limit = z.strictObject({
  windowSeconds: z.number().int().positive(),
  max: z.number().int().positive(),
});

/** A latitude/longitude box: places given with a request must fall inside it. */
const area = z
  .strictObject({
    minLat: z.number().min(-90).max(90),
    maxLat: z.number().min(-90).max(90),
    minLon: z.number().min(-180).max(180),
    maxLon: z.number().min(-180).max(180),
  })
  .refine((a) => a.minLat < a.maxLat && a.minLon < a.maxLon, 'min below max');

/**
 * Citizens' participation (section `participation` of the configuration): ratings of services and of
 * information sheets; the URP desk.
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
    urp: z
      .strictObject({
        /** Days to answer a request (L. 241/1990 art. 2: 30 unless a shorter term is set). */
        deadlineDays: z.number().int().min(1).max(30).default(30),
        /** Shorter terms a body declares, per kind of request: { <ipa code>: { <kind>: days } }. */
        bodyDeadlines: z
          .record(
            z.string().regex(/^[a-z0-9_]{2,32}$/),
            z.partialRecord(z.enum(URP_KINDS), z.number().int().min(1).max(30)),
          )
          .default({}),
        /** Where a place given with a request may be (default: Italy). */
        area: area.default({ minLat: 35.4, maxLat: 47.1, minLon: 6.6, maxLon: 18.6 }),
        /** Hours an anonymous requester has to confirm their address. */
        confirmHours: z.number().int().min(1).max(72).default(24),
        /** Days before a due date that the staff who must answer are reminded (and of the overdue). */
        remindDaysBefore: z.number().int().min(1).max(30).default(3),
        /** Days a closed request keeps its personal data (text, thread, notes, address, e-mail). */
        retainDataDays: z.number().int().min(1).max(3650).default(365),
        /** Requests and messages posted per client address (citizens, anonymous requesters, apps). */
        postsPerClient: limit.default({ windowSeconds: 60 * 60, max: 20 }),
      })
      .prefault({}),
  })
  .prefault({});

export type ParticipationConfig = z.infer<typeof participationConfigSchema>;
