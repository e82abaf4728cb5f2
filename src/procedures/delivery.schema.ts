import { z } from 'zod';

/**
 * The claims of a delivery JWT beside the registered ones (iss, aud, jti, iat, exp): what a body's
 * endpoint receives for one step — only what the procedure definition lists for it. Published in the
 * OpenAPI document (webhook `delivery`); the demo body systems parse deliveries with it.
 */
export const deliveryClaimsSchema = z.object({
  /** The case id; with the step's id it makes the idempotency key `<case>.<step>` (the jti). */
  case: z.string().regex(/^[0-9A-Z]{16}$/),
  /** The reference number printed on the citizen's receipt. */
  reference: z.string().regex(/^VRC-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/),
  procedure: z.object({ id: z.string(), version: z.number().int().positive() }),
  /** "<procedure>.<step>", as the endpoint's `handles` lists it. */
  step: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/),
  /** Attributes of the applicant's verified identity (fiscalCode, name, familyName, dateOfBirth, email). */
  applicant: z.record(z.string(), z.string()),
  /** Form fields, by the ids the definition gives them. */
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Outputs of earlier steps, as "<step>.<output>". */
  inputs: z.record(z.string(), z.string()),
  /** What the applicant declared on confirming the case (DPR 445/2000 art. 46 and 76): the words, their language, when. */
  declaration: z
    .object({ text: z.string(), language: z.enum(['it', 'en']), at: z.iso.datetime() })
    .optional(),
  /** Where to report the step's result later (POST, with the body's API credential). */
  reportUrl: z.url(),
});

export type DeliveryClaims = z.infer<typeof deliveryClaimsSchema>;
