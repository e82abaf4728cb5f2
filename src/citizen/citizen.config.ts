import { z } from 'zod';

/**
 * What every module shares about citizens (section `citizen` of the configuration): the key of their
 * references and the keys of their personal data. Production refuses to start without both (checked
 * where they are loaded, src/citizen/secrets.ts).
 */
export const citizenConfigSchema = z
  .strictObject({
    /**
     * HMAC-SHA256 key (32 bytes in base64) that turns a citizen's fiscal code into the reference every
     * module files them under in Redis, so no key name or record shows the fiscal code. Not rotatable:
     * another key files everyone under other names.
     */
    referenceKey: z
      .string()
      .regex(/^[A-Za-z0-9+/=_-]{43,44}$/, 'a reference key: 32 bytes in base64')
      .optional(),
    /**
     * AES-256 keys for citizens' personal data (cases, drafts, single sign-on accounts), as
     * "<key id>:<32 bytes in base64>", newest first: the first encrypts, every one decrypts (rotation).
     */
    dataKeys: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9+/=_-]{43,44}$/, 'a data key: "<id>:<32 bytes in base64>"'),
      )
      .default([]),
    /** Where development and demo mode keep the keys they generate once (never committed). */
    varDir: z.string().default('var/citizen'),
  })
  .prefault({});

export type CitizenConfig = z.infer<typeof citizenConfigSchema>;
