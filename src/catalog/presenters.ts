import type { Language } from '../platform/i18n.ts';
import { lifeEventUri, type Body, type Service } from './model.ts';

/** A service as search results show it (HTML and JSON): what a citizen needs to choose. */
export function serviceSummary(service: Service, body: Body | undefined, lang: Language) {
  return {
    id: service.id,
    title: service.title[lang],
    description: service.description[lang],
    body: { ipaCode: service.bodyId, name: body?.name[lang] ?? service.bodyId },
    topics: service.topics,
    lifeEvents: service.lifeEvents,
    requiredLevel: service.requiredLevel,
    infoSheet: `/services/${service.id}`,
    link: `/go/${service.id}`,
  };
}

/** Embeds JSON in an HTML <script> element: "<" escaped so no "</script>" or "<!--" can close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** schema.org GovernmentService (https://schema.org/GovernmentService) for a service's info sheet. */
export function governmentServiceJsonLd(
  service: Service,
  body: Body | undefined,
  publicUrl: string,
  lang: Language,
) {
  const page = new URL(`/services/${service.id}`, publicUrl).href;
  return {
    '@context': 'https://schema.org',
    '@type': 'GovernmentService',
    '@id': page,
    url: page,
    identifier: service.id,
    name: service.title[lang],
    description: service.description[lang],
    inLanguage: lang,
    serviceType: service.topics.join(', '),
    audience: service.audience.map((a) => ({ '@type': 'Audience', audienceType: a })),
    areaServed: body?.territory,
    provider: body && {
      '@type': 'GovernmentOrganization',
      name: body.name[lang],
      identifier: body.ipaCode,
      url: body.contacts.website,
      email: body.contacts.email,
    },
    availableChannel: {
      '@type': 'ServiceChannel',
      serviceUrl: new URL(`/go/${service.id}`, publicUrl).href,
      availableLanguage: ['it', 'en'],
      ...(service.availability.openingHours.length > 0 && {
        servicePlace: { '@type': 'Place', openingHours: service.availability.openingHours },
      }),
    },
    isRelatedTo: service.lifeEvents.map((e) => ({ '@type': 'Thing', '@id': lifeEventUri(e) })),
    dateModified: service.updatedAt,
  };
}
