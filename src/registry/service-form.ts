import { LIFE_EVENTS, TOPICS, type Service } from '../catalog/model.ts';
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
    availability: { openingHours: lines(text(form, 'openingHours')) },
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
    keywords: service.keywords.join(', '),
  };
}

export const FORM_CHOICES = {
  topics: TOPICS,
  lifeEvents: LIFE_EVENTS,
  audience: ['citizens', 'businesses'],
  channels: ['online', 'desk', 'phone', 'app', 'email'],
  requiredLevel: ['none', 'L1', 'L2', 'L3'],
  integration: ['link', 'sso'],
} as const;
