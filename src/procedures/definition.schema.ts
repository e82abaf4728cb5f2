import { z } from 'zod';

/**
 * The shape of a composite-procedure definition (config/procedures/*.yaml). Every object is strict, so
 * a misspelt key ("afer:") stops the start naming it. Cross-references (steps, fields, outputs) are
 * checked afterwards by definitions.ts, which knows the whole definition.
 */

const slug = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'a slug: lower-case letters, digits and dashes');
/** Form field and output names are camelCase, so they read the same in the YAML, the form and the payload. */
const name = z.string().regex(/^[a-z][A-Za-z0-9]{0,47}$/, 'a camelCase name of letters and digits');
const text = z.string().trim().min(1).max(500);
export const localized = z.strictObject({ it: text, en: text });
export type Localized = z.infer<typeof localized>;

/** "today", "today-10d", "today+30d" or an ISO date: bounds of a date field, evaluated at submission. */
const dateBound = z
  .string()
  .regex(
    /^(today([+-]\d{1,5}d)?|\d{4}-\d{2}-\d{2})$/,
    'a date bound: today, today-<n>d, today+<n>d or YYYY-MM-DD',
  );

const option = z.strictObject({ value: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), label: localized });

const common = {
  id: name,
  label: localized,
  hint: localized.optional(),
  required: z.boolean().default(false),
};

const textLike = {
  ...common,
  minLength: z.number().int().min(0).max(2000).optional(),
  maxLength: z.number().int().min(1).max(2000).default(200),
  /** A regular expression the whole (trimmed) value must match. */
  pattern: z
    .string()
    .max(300)
    .refine((source) => {
      try {
        new RegExp(source, 'u');
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression')
    .optional(),
  /** The message shown when the pattern does not match. */
  patternMessage: localized.optional(),
};

export const fieldSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.enum(['text', 'textarea', 'email', 'tel']), ...textLike }),
  /** An Italian fiscal code, normalised and checked (check character) by src/identity/citizen.ts. */
  z.strictObject({ type: z.literal('fiscalCode'), ...common }),
  z.strictObject({
    type: z.literal('number'),
    ...common,
    min: z.number().int().optional(),
    max: z.number().int().optional(),
  }),
  z.strictObject({
    type: z.literal('date'),
    ...common,
    min: dateBound.optional(),
    max: dateBound.optional(),
  }),
  z.strictObject({
    type: z.enum(['select', 'radio']),
    ...common,
    options: z.array(option).min(1).max(200),
  }),
  /** A single box; "required" means it must be ticked (a declaration, a consent). */
  z.strictObject({ type: z.literal('checkbox'), ...common }),
]);
export type FieldDefinition = z.infer<typeof fieldSchema>;

const pageSchema = z.strictObject({
  id: slug,
  title: localized,
  intro: localized.optional(),
  fields: z.array(fieldSchema).min(1).max(40),
});
export type PageDefinition = z.infer<typeof pageSchema>;

/** What the logged-in citizen (the applicant) contributes to a step, from their verified identity. */
export const CITIZEN_ATTRIBUTES = ['fiscalCode', 'name', 'familyName', 'dateOfBirth', 'email'] as const;
export type CitizenAttribute = (typeof CITIZEN_ATTRIBUTES)[number];

const outputSchema = z.strictObject({
  type: z.enum(['text', 'fiscalCode', 'date']),
  label: localized,
});

const stepSchema = z.strictObject({
  id: slug,
  title: localized,
  description: localized.optional(),
  /** IPA code of the body whose registered endpoint handles this step. */
  body: z.string().regex(/^[a-z0-9_]{2,32}$/, 'an IPA code: 2–32 lower-case letters, digits or underscores'),
  /** The id of the body's endpoint (src/catalog/endpoint.ts, registered by the body) that receives the step. */
  endpoint: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'an endpoint id'),
  /** Steps that must be completed before this one is delivered. */
  after: z.array(slug).max(20).default([]),
  /** Attributes of the applicant's verified identity the body receives. */
  citizen: z.array(z.enum(CITIZEN_ATTRIBUTES)).max(CITIZEN_ATTRIBUTES.length).default([]),
  /** Form fields the body receives; nothing else of the form is sent to it. */
  fields: z.array(name).max(100).default([]),
  /** Outputs of earlier steps the body receives, as "<step id>.<output name>". */
  inputs: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z][A-Za-z0-9]*$/, 'an input: "<step id>.<output name>"'))
    .max(20)
    .default([]),
  /** What the body reports back when it completes the step; later steps may receive these. */
  outputs: z.record(name, outputSchema).default({}),
});
export type StepDefinition = z.infer<typeof stepSchema>;

export const definitionSchema = z.strictObject({
  id: slug,
  version: z.number().int().positive(),
  title: localized,
  description: localized,
  /** The SPID level (or equivalent) the citizen needs to start it. */
  loginLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  /** Shown on the receipt: what the applicant declares by confirming. */
  declaration: localized,
  form: z.strictObject({ pages: z.array(pageSchema).min(1).max(20) }),
  steps: z.array(stepSchema).min(1).max(30),
  /**
   * Form fields that together say what a case is about (the child, for a birth): a case the same
   * applicant filed earlier with the same values looks like a repeat, and the confirmation warns first.
   */
  sameCaseWhen: z.array(name).max(10).default([]),
});
export type ProcedureDefinition = z.infer<typeof definitionSchema>;

/** A step's id as bodies know it (endpoints' `handles`): "<procedure>.<step>". */
export const qualifiedStepId = (procedure: ProcedureDefinition, step: StepDefinition) =>
  `${procedure.id}.${step.id}`;
