import { ITALIAN_ARTICLES } from './italian-article.ts';
import { z } from 'zod';

/**
 * Bodies and services of the network, as the registry stores them and the registration API accepts
 * them. The vocabularies follow CPSV-AP_IT (the Italian application profile of the Core Public
 * Service Vocabulary, https://github.com/italia/daf-ontologie-vocabolari-controllati):
 * life events from `classifications-for-public-services/life-event`, topics from
 * `public-services-subject-matters`.
 */

/** CPSV-AP_IT life events (controlled vocabulary "life-event", codes 1–19). */
export const LIFE_EVENTS = [
  'school-enrolment', // 1 Iscrizione scuola/università e/o richiesta borsa di studio
  'disability', // 2 Invalidità
  'job', // 3 Ricerca di lavoro, avvio nuovo lavoro, disoccupazione
  'retirement', // 4 Pensionamento
  'driving-licence', // 5 Richiesta o rinnovo patente
  'vehicle', // 6 Registrazione/possesso veicolo
  'public-transport', // 7 Accesso al trasporto pubblico
  'housing', // 8 Compravendita/affitto casa, costruzione o ristrutturazione
  'change-of-address', // 9 Cambio di residenza/domicilio
  'moving-abroad', // 10 Espatrio per lavoro, studio, pensionamento
  'travel-documents', // 11 Richiesta passaporto, visto e assistenza viaggi internazionali
  'birth', // 12 Nascita di un bambino, richiesta adozioni
  'marriage', // 13 Matrimonio e/o cambio stato civile
  'death', // 14 Morte ed eredità
  'medical-appointments', // 15 Prenotazione e disdetta visite/esami
  'reporting-crime', // 16 Denuncia crimini
  'taxes', // 17 Dichiarazione dei redditi, versamento e riscossione tributi e contributi
  'culture', // 18 Accesso luoghi della cultura
  'pets', // 19 Possesso, cura, smarrimento animale da compagnia
] as const;
export type LifeEvent = (typeof LIFE_EVENTS)[number];

/** The vocabulary's URI for a life event (its code is the position in the list, from 1). */
export const lifeEventUri = (event: LifeEvent) =>
  `https://w3id.org/italia/controlled-vocabulary/classifications-for-public-services/life-event/${LIFE_EVENTS.indexOf(event) + 1}`;

/** Topics: the CPSV-AP_IT "public-services-subject-matters" vocabulary (AgID, municipal websites). */
export const TOPICS = [
  'education',
  'health',
  'work',
  'mobility',
  'land-registry',
  'civil-registry',
  'tourism',
  'justice',
  'taxes',
  'culture',
  'environment',
  'business',
  'permits',
  'procurement',
  'agriculture',
] as const;
export type Topic = (typeof TOPICS)[number];

/** Login level a service needs: none, or a SPID/CIE level. */
export const REQUIRED_LEVELS = ['none', 'L1', 'L2', 'L3'] as const;
export type RequiredLevel = (typeof REQUIRED_LEVELS)[number];
export const levelNumber = (level: RequiredLevel): 0 | 1 | 2 | 3 =>
  REQUIRED_LEVELS.indexOf(level) as 0 | 1 | 2 | 3;

/**
 * Citizen attributes a deep-link template may use, and nothing else. Values are URL-encoded when the
 * link is built (src/catalog/deep-link.ts).
 */
export const TEMPLATE_PLACEHOLDERS = [
  'fiscalCode',
  'name',
  'familyName',
  'dateOfBirth',
  'email',
  'lang',
] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

const MAX_TEXT = 4000;
const shortText = z.string().trim().min(1).max(200);
const longText = z.string().trim().min(1).max(MAX_TEXT);

/** A text in Italian (required, the default language) and English. */
export const localizedShort = z.strictObject({ it: shortText, en: shortText });
export const localizedLong = z.strictObject({ it: longText, en: longText });
export type Localized = z.infer<typeof localizedShort>;

/** IPA code (Indice dei domicili digitali della PA): lower-case letters, digits and underscores. */
export const ipaCode = z
  .string()
  .regex(/^[a-z0-9_]{2,32}$/, 'an IPA code: 2–32 lower-case letters, digits or underscores');

export const serviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,79}$/, 'a service id: 3–80 lower-case letters, digits or dashes');

/** A DNS host name, lower case, at least two labels (no ports, no IP literals). */
export const hostName = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'a host name such as www.comune.prato.it',
  );

/** Only http(s) URLs; everything else (javascript:, data:, file:, …) is refused at the edge. */
export const webUrl = z.url({ protocol: /^https?$/, hostname: z.regexes.domain }).max(2000);

/** schema.org openingHours ("Mo-Fr 08:30-13:00", "Tu,Th 15:00-17:30", "Mo-Su 00:00-24:00"). */
export const openingHours = z
  .string()
  .regex(
    /^(Mo|Tu|We|Th|Fr|Sa|Su)([-,](Mo|Tu|We|Th|Fr|Sa|Su))* ([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/,
    'schema.org openingHours, e.g. "Mo-Fr 08:30-13:00"',
  )
  .refine(
    (spec) => spec.slice(-5) > spec.slice(-11, -6),
    'the closing time must come after the opening time',
  );

const timeOfDay = '(?:[01]\\d|2[0-3]):[0-5]\\d|24:00';
/** A stretch of one day, "09:00-12:30", closing after it opens. */
export const timeRange = z
  .string()
  .regex(new RegExp(`^(?:${timeOfDay})-(?:${timeOfDay})$`), 'hours of one day, e.g. "09:00-12:30"')
  .refine((range) => range.slice(6) > range.slice(0, 5), 'the closing time must come after the opening time');

/**
 * A day or run of days when an office keeps other hours than its weekly ones: closed (no hours), or open
 * at the hours given. Dates are the network's (Europe/Rome); `to` is the last day, inclusive.
 */
export const specialDaySchema = z
  .strictObject({
    from: z.iso.date(),
    to: z.iso.date().optional(),
    hours: z.array(timeRange).max(4).default([]),
  })
  .refine((d) => !d.to || d.to >= d.from, 'the last day must not come before the first')
  .refine(
    (d) => !d.to || Date.parse(d.to) - Date.parse(d.from) <= 366 * 86_400_000,
    'a run of special days lasts a year at most',
  );
export type SpecialDay = z.infer<typeof specialDaySchema>;

/** A month and day, "12-26", that exists in a leap year. */
export const monthDay = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a month and day, e.g. "12-26"')
  .refine(
    (md) =>
      !Number.isNaN(Date.parse(`2024-${md}T00:00:00Z`)) &&
      new Date(`2024-${md}T00:00:00Z`).toISOString().slice(5, 10) === md,
    'a day that exists',
  );

/**
 * A time an online service is down for maintenance, announced by its body: instants with their offset,
 * ending after they start, a month at most.
 */
export const maintenanceWindowSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .refine((w) => Date.parse(w.to) > Date.parse(w.from), 'the end must come after the start')
  .refine((w) => Date.parse(w.to) - Date.parse(w.from) <= 31 * 86_400_000, 'a window lasts a month at most');
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export const BODY_KINDS = [
  'municipality',
  'union-of-municipalities',
  'province',
  'region',
  'prefecture',
  'chamber-of-commerce',
  'health-authority',
  'national-agency',
  'archive',
  'museum',
  'library',
  'university',
  'school',
  'other',
] as const;
export const BODY_STATUSES = ['requested', 'approved', 'suspended'] as const;
export type BodyStatus = (typeof BODY_STATUSES)[number];

const phone = z.string().regex(/^\+?[0-9 ]{6,20}$/, 'a phone number: digits and spaces, an optional +');

export const contactsSchema = z.strictObject({
  email: z.email().max(254),
  pec: z.email().max(254).optional(),
  phone: phone.optional(),
  website: webUrl,
});

/** An office citizens can go to or call: the service's own desk, or a body's main office (URP). */
export const officeSchema = z.strictObject({
  name: localizedShort,
  address: shortText,
  phone: phone.optional(),
  email: z.email().max(254).optional(),
});

/** A body's main office, with its opening hours (shown on the info sheets of services without their own office). */
export const bodyOfficeSchema = officeSchema.extend({
  openingHours: z.array(openingHours).max(14).default([]),
  /** Closures and other hours on given days; Italy's public holidays need not be listed. */
  specialDays: z.array(specialDaySchema).max(60).default([]),
  /** The patron saint's day of the town (MM-DD), when the office is closed. */
  patronDay: monthDay.optional(),
});

/** What a body declares about itself. Status and editors are the network's business, not the body's. */
export const bodyInputSchema = z.strictObject({
  ipaCode,
  name: localizedShort,
  kind: z.enum(BODY_KINDS),
  /** The Italian definite article the name takes ("l'" for INPS); derived from the name when absent. */
  article: z.enum(ITALIAN_ARTICLES).optional(),
  territory: shortText,
  contacts: contactsSchema,
  logo: webUrl.optional(),
  office: bodyOfficeSchema.optional(),
  /** Host names the body's service links may point to (deep links outside them are refused). */
  domains: z.array(hostName).min(1).max(20),
  /** True when the IPA code is a stand-in for the demo, not the body's registered code. */
  demoIpaCode: z.boolean().default(false),
});
export type BodyInput = z.infer<typeof bodyInputSchema>;

export const bodySchema = bodyInputSchema.extend({
  status: z.enum(BODY_STATUSES),
  /** Fiscal codes of the people who may edit the body's services at /editor. */
  editors: z.array(z.string().regex(/^[A-Z0-9]{16}$/)).max(50),
  updatedAt: z.iso.datetime(),
});
export type Body = z.infer<typeof bodySchema>;

export const SERVICE_STATUSES = ['draft', 'published', 'withdrawn'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

const placeholderPattern = /\{([^{}]*)\}/g;

/**
 * A deep link: a fixed URL, or a template whose `{placeholder}`s are filled from the citizen's
 * attributes. Placeholders may only stand in the path or the query, never in the scheme or host, and
 * only the whitelisted ones exist.
 */
export const deepLinkSchema = z.union([
  z.strictObject({ url: webUrl }),
  z.strictObject({
    template: z
      .string()
      .max(2000)
      .superRefine((template, ctx) => {
        for (const [, name] of template.matchAll(placeholderPattern)) {
          if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
            ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}` });
          }
        }
        const origin = /^https?:\/\/[^/?#]*/i.exec(template)?.[0];
        if (!origin || origin.includes('{')) {
          ctx.addIssue({ code: 'custom', message: 'the template must start with a fixed http(s)://host' });
          return;
        }
        if (!webUrl.safeParse(template.replace(placeholderPattern, 'x')).success) {
          ctx.addIssue({ code: 'custom', message: 'the template does not make a valid http(s) URL' });
        }
      }),
  }),
]);
export type DeepLink = z.infer<typeof deepLinkSchema>;

const list = (item: z.ZodType<string>, max: number) => z.array(item).max(max);

/** The info sheet (scheda informativa): who can ask, documents, costs, times, office. */
export const infoSheetSchema = z.strictObject({
  whoCanApply: localizedLong,
  documents: localizedLong,
  costs: localizedLong,
  times: localizedLong,
  office: officeSchema.optional(),
});

/** Citizen attributes a single-sign-on service may declare it needs (released as OIDC claims, src/sso). */
export const SSO_CLAIMS = ['fiscal_number', 'given_name', 'family_name', 'birthdate', 'email'] as const;
export const SSO_AUTH_METHODS = ['private_key_jwt', 'client_secret_basic'] as const;

const ssoUri = z.url({ protocol: /^https?$/ }).max(2000);
/** A public JSON Web Key (RFC 7517); private members are refused. */
const publicJwk = z
  .looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']), kid: z.string().max(200).optional() })
  .refine((jwk) => !('d' in jwk) && !('p' in jwk) && !('k' in jwk), 'only public keys');

/**
 * A service with integration "sso" is an OpenID Connect client of the gateway (src/sso); the client id
 * is the service id. URIs must be https (http only in demo mode) on the body's declared domains (checked
 * with the links, src/catalog/link-policy.ts). Client authentication: private_key_jwt with the body's keys
 * (preferred), or client_secret_basic with a secret the gateway generates and shows once.
 */
export const ssoClientSchema = z
  .strictObject({
    redirectUris: z.array(ssoUri).min(1).max(10),
    postLogoutRedirectUris: z.array(ssoUri).max(10).default([]),
    backchannelLogoutUri: ssoUri.optional(),
    /** OIDC third-party-initiated login: where /go/:serviceId sends the citizen to start a login. */
    initiateLoginUri: ssoUri.optional(),
    clientAuthentication: z.strictObject({
      method: z.enum(SSO_AUTH_METHODS),
      jwksUri: ssoUri.optional(),
      jwks: z.strictObject({ keys: z.array(publicJwk).min(1).max(10) }).optional(),
    }),
    /** The attributes the service needs, each with the reason shown to the citizen before the first release. */
    claims: z
      .array(z.strictObject({ claim: z.enum(SSO_CLAIMS), purpose: localizedShort }))
      .max(SSO_CLAIMS.length)
      .default([]),
  })
  .superRefine((sso, ctx) => {
    const { method, jwksUri, jwks } = sso.clientAuthentication;
    const keySources = [jwksUri, jwks].filter(Boolean).length;
    if (method === 'private_key_jwt' && keySources !== 1)
      ctx.addIssue({ code: 'custom', message: 'private_key_jwt needs either jwksUri or jwks' });
    if (method === 'client_secret_basic' && keySources !== 0)
      ctx.addIssue({ code: 'custom', message: 'client_secret_basic takes no keys' });
    if (new Set(sso.claims.map((c) => c.claim)).size !== sso.claims.length)
      ctx.addIssue({ code: 'custom', message: 'each claim may be declared once' });
  });
export type SsoClient = z.infer<typeof ssoClientSchema>;

/** What a body writes about one of its services (registration API, editor pages, demo seed). */
export const serviceInputSchema = z.strictObject({
  title: localizedShort,
  description: localizedLong,
  topics: z.array(z.enum(TOPICS)).min(1).max(5),
  lifeEvents: z.array(z.enum(LIFE_EVENTS)).max(5).default([]),
  audience: z
    .array(z.enum(['citizens', 'businesses']))
    .min(1)
    .max(2),
  channels: z
    .array(z.enum(['online', 'desk', 'phone', 'app', 'email']))
    .min(1)
    .max(5),
  requiredLevel: z.enum(REQUIRED_LEVELS),
  deepLink: deepLinkSchema,
  integration: z
    .enum(['link', 'sso'])
    .describe('"sso" only for an OpenID Connect client of the gateway, described in the sso block'),
  /** The OpenID Connect client of a service with integration "sso". */
  sso: ssoClientSchema.optional(),
  availability: z
    .strictObject({
      /** Opening hours of the desk (schema.org openingHours). The online service is always on when empty. */
      openingHours: list(openingHours, 14).default([]),
      notes: localizedShort.optional(),
      /** When the online service is down for maintenance: the sheet says so and /go/:id does not send people there. */
      maintenance: z.array(maintenanceWindowSchema).max(10).default([]),
    })
    .prefault({}),
  infoSheet: infoSheetSchema,
  keywords: list(z.string().trim().min(2).max(40), 20).default([]),
});
export type ServiceInput = z.infer<typeof serviceInputSchema>;

/**
 * What the fields of a service say together: integration "sso" promises the citizen no new login, which
 * only a registered OpenID Connect client (the sso block) can keep. Kept out of the schema so stored
 * services still parse; checked wherever a body writes one.
 */
export function serviceInputIssues(input: Pick<ServiceInput, 'integration' | 'sso'>) {
  return input.integration === 'sso' && !input.sso
    ? [{ path: 'integration', message: '"sso" needs the sso block: the service\'s OpenID Connect client' }]
    : [];
}

export const serviceSchema = serviceInputSchema.extend({
  id: serviceId,
  bodyId: ipaCode,
  status: z.enum(SERVICE_STATUSES),
  updatedAt: z.iso.datetime(),
});
export type Service = z.infer<typeof serviceSchema>;

/** Who made a change, for the audit stream: a person (by fiscal code), a body's API client, the system. */
export interface Actor {
  kind: 'citizen' | 'client' | 'system';
  id: string;
}
