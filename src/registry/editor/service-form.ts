import { LIFE_EVENTS, SSO_AUTH_METHODS, SSO_CLAIMS, TOPICS, type Service } from '../../catalog/model.ts';
import { maintenanceFromText, maintenanceToText } from './calendar-form.ts';
import { officeFromForm, officeToForm } from './office-form.ts';

type Form = Record<string, unknown>;

const text = (form: Form, key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '');
/** Checkbox groups arrive as a string (one ticked) or an array (several). */
const ticked = (form: Form, key: string) => {
  const value = form[key];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is string => typeof v === 'string',
  );
};
const lines = (raw: string) =>
  raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
const localized = (form: Form, key: string) => ({ it: text(form, `${key}_it`), en: text(form, `${key}_en`) });

/**
 * The editor's service form (flat fields, as an HTML form posts them) as the registration API's
 * ServiceInput; the catalog writer then validates it with the same schema as the API.
 */
export function serviceFormToInput(form: Form): unknown {
  const link = text(form, 'link');
  return {
    title: localized(form, 'title'),
    description: localized(form, 'description'),
    topics: ticked(form, 'topics'),
    lifeEvents: ticked(form, 'lifeEvents'),
    audience: ticked(form, 'audience'),
    channels: ticked(form, 'channels'),
    requiredLevel: text(form, 'requiredLevel'),
    deepLink: link.includes('{') ? { template: link } : { url: link },
    integration: text(form, 'integration'),
    ...(text(form, 'integration') === 'sso' && hasSsoFields(form) ? { sso: ssoFromForm(form) } : {}),
    availability: {
      openingHours: lines(text(form, 'openingHours')),
      maintenance: maintenanceFromText(text(form, 'maintenance')),
      ...(text(form, 'availabilityNotes_it') || text(form, 'availabilityNotes_en')
        ? { notes: localized(form, 'availabilityNotes') }
        : {}),
    },
    infoSheet: {
      whoCanApply: localized(form, 'whoCanApply'),
      documents: localized(form, 'documents'),
      costs: localized(form, 'costs'),
      times: localized(form, 'times'),
      office: officeFromForm(form, 'office'),
    },
    keywords: text(form, 'keywords')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  };
}

const optional = (value: string) => value || undefined;

/** A JWK Set typed into the form: parsed when it is JSON, else left as text for the schema to refuse. */
function jwksField(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

const SSO_TEXT_FIELDS = [
  'ssoRedirectUris',
  'ssoPostLogoutRedirectUris',
  'ssoBackchannelLogoutUri',
  'ssoInitiateLoginUri',
  'ssoAuthMethod',
  'ssoJwksUri',
  'ssoJwks',
];

/** Whether the editor filled in any client field (a service may be "sso" before its client is registered). */
const hasSsoFields = (form: Form) =>
  SSO_TEXT_FIELDS.some((key) => text(form, key) !== '') || ticked(form, 'ssoClaims').length > 0;

/** The single-sign-on client fields (src/catalog/model.ts ssoClientSchema) from the form. */
function ssoFromForm(form: Form) {
  return {
    redirectUris: lines(text(form, 'ssoRedirectUris')),
    postLogoutRedirectUris: lines(text(form, 'ssoPostLogoutRedirectUris')),
    backchannelLogoutUri: optional(text(form, 'ssoBackchannelLogoutUri')),
    initiateLoginUri: optional(text(form, 'ssoInitiateLoginUri')),
    clientAuthentication: {
      method: text(form, 'ssoAuthMethod'),
      jwksUri: optional(text(form, 'ssoJwksUri')),
      jwks: jwksField(text(form, 'ssoJwks')),
    },
    claims: ticked(form, 'ssoClaims').map((claim) => ({
      claim,
      purpose: localized(form, `ssoPurpose_${claim}`),
    })),
  };
}

function ssoToForm(service: Service): Record<string, string | string[]> {
  const { sso } = service;
  if (!sso) return {};
  return {
    ssoRedirectUris: sso.redirectUris.join('\n'),
    ssoPostLogoutRedirectUris: sso.postLogoutRedirectUris.join('\n'),
    ssoBackchannelLogoutUri: sso.backchannelLogoutUri ?? '',
    ssoInitiateLoginUri: sso.initiateLoginUri ?? '',
    ssoAuthMethod: sso.clientAuthentication.method,
    ssoJwksUri: sso.clientAuthentication.jwksUri ?? '',
    ssoJwks: sso.clientAuthentication.jwks ? JSON.stringify(sso.clientAuthentication.jwks, null, 2) : '',
    ssoClaims: sso.claims.map((c) => c.claim),
    ...Object.fromEntries(
      sso.claims.flatMap((c) => [
        [`ssoPurpose_${c.claim}_it`, c.purpose.it],
        [`ssoPurpose_${c.claim}_en`, c.purpose.en],
      ]),
    ),
  };
}

/** A stored service as the form's field values (to edit it). */
export function serviceToForm(service: Service): Record<string, string | string[]> {
  const pair = (key: string, value: { it: string; en: string }) => ({
    [`${key}_it`]: value.it,
    [`${key}_en`]: value.en,
  });
  return {
    id: service.id,
    ...pair('title', service.title),
    ...pair('description', service.description),
    ...pair('whoCanApply', service.infoSheet.whoCanApply),
    ...pair('documents', service.infoSheet.documents),
    ...pair('costs', service.infoSheet.costs),
    ...pair('times', service.infoSheet.times),
    ...officeToForm(service.infoSheet.office, 'office'),
    topics: service.topics,
    lifeEvents: service.lifeEvents,
    audience: service.audience,
    channels: service.channels,
    requiredLevel: service.requiredLevel,
    integration: service.integration,
    link: 'url' in service.deepLink ? service.deepLink.url : service.deepLink.template,
    openingHours: service.availability.openingHours.join('\n'),
    maintenance: maintenanceToText(service.availability.maintenance),
    ...pair('availabilityNotes', service.availability.notes ?? { it: '', en: '' }),
    keywords: service.keywords.join(', '),
    ...ssoToForm(service),
  };
}

export const FORM_CHOICES = {
  topics: TOPICS,
  lifeEvents: LIFE_EVENTS,
  audience: ['citizens', 'businesses'],
  channels: ['online', 'desk', 'phone', 'app', 'email'],
  requiredLevel: ['none', 'L1', 'L2', 'L3'],
  integration: ['link', 'sso'],
  ssoAuthMethod: SSO_AUTH_METHODS,
  ssoClaims: SSO_CLAIMS,
} as const;

/** Where a problem in the service's `sso` block is shown on the form. */
export const SSO_FORM_FIELDS: Record<string, string> = {
  redirectUris: 'ssoRedirectUris',
  postLogoutRedirectUris: 'ssoPostLogoutRedirectUris',
  backchannelLogoutUri: 'ssoBackchannelLogoutUri',
  initiateLoginUri: 'ssoInitiateLoginUri',
  clientAuthentication: 'ssoAuth',
  claims: 'ssoClaims',
};
