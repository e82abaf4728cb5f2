import { lifeEventUri, type Body, type Service } from './model.ts';

const both = (text: { it: string; en: string }) => [
  { '@value': text.it, '@language': 'it' },
  { '@value': text.en, '@language': 'en' },
];

/**
 * The catalog as CPSV-AP_IT JSON-LD: public services (cpsv:PublicService) with their competent authority
 * (cv:PublicOrganisation, identified by the IPA code), channels, life events (cv:isGroupedBy, the
 * CPSV-AP_IT life-event vocabulary) and topics (dcat:theme, the public-services-subject-matters
 * vocabulary). Terms from CPSV-AP 2.2 (https://semiceu.github.io/CPSV-AP/), which CPSV-AP_IT profiles.
 */
export function catalogJsonLd(services: Service[], bodies: Map<string, Body>, publicUrl: string) {
  const topicUri = (t: string) =>
    `https://w3id.org/italia/controlled-vocabulary/classifications-for-public-services/public-services-subject-matters/${t}`;
  return {
    '@context': {
      cpsv: 'http://purl.org/vocab/cpsv#',
      cv: 'http://data.europa.eu/m8g/',
      dct: 'http://purl.org/dc/terms/',
      dcat: 'http://www.w3.org/ns/dcat#',
      skos: 'http://www.w3.org/2004/02/skos/core#',
      schema: 'https://schema.org/',
    },
    '@graph': services.map((service) => {
      const body = bodies.get(service.bodyId);
      return {
        '@id': new URL(`/services/${service.id}`, publicUrl).href,
        '@type': 'cpsv:PublicService',
        'dct:identifier': service.id,
        'dct:title': both(service.title),
        'dct:description': both(service.description),
        'dct:modified': service.updatedAt,
        'dcat:theme': service.topics.map((t) => ({ '@id': topicUri(t) })),
        'cv:isGroupedBy': service.lifeEvents.map((e) => ({ '@id': lifeEventUri(e) })),
        'cv:hasCompetentAuthority': {
          '@id': `https://indicepa.gov.it/ipa-portale/consultazione/indirizzo-sede/ricerca-ente?codiceIpa=${body?.ipaCode ?? service.bodyId}`,
          '@type': 'cv:PublicOrganisation',
          'dct:identifier': service.bodyId,
          'skos:prefLabel': body ? both(body.name) : service.bodyId,
        },
        'cv:hasChannel': service.channels.map((channel) => ({
          '@type': 'cv:Channel',
          'dct:type': channel,
          ...(channel === 'online' && { 'schema:url': new URL(`/go/${service.id}`, publicUrl).href }),
        })),
      };
    }),
  };
}

const CSV_COLUMNS = [
  'id',
  'body_ipa_code',
  'body_name',
  'title_it',
  'title_en',
  'description_it',
  'description_en',
  'topics',
  'life_events',
  'audience',
  'channels',
  'required_level',
  'info_sheet_url',
  'updated_at',
] as const;

/** One CSV cell (RFC 4180); a leading = + - @ is neutralised so spreadsheets never run it as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The catalog as CSV (RFC 4180, UTF-8, CRLF line ends), one row per published service. */
export function catalogCsv(services: Service[], bodies: Map<string, Body>, publicUrl: string): string {
  const rows = services.map((s) =>
    [
      s.id,
      s.bodyId,
      bodies.get(s.bodyId)?.name.it ?? '',
      s.title.it,
      s.title.en,
      s.description.it,
      s.description.en,
      s.topics.join(' '),
      s.lifeEvents.join(' '),
      s.audience.join(' '),
      s.channels.join(' '),
      s.requiredLevel,
      new URL(`/services/${s.id}`, publicUrl).href,
      s.updatedAt,
    ]
      .map(csvCell)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
