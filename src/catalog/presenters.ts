import type { Language } from '../platform/i18n.ts';
import {
  deskCalendar,
  localMoment,
  maintenanceAt,
  NETWORK_TIME_ZONE,
  openState,
  upcomingMaintenance,
} from './desk-calendar.ts';
import { linkOrigin } from './link-policy.ts';
import { lifeEventUri, type Body, type MaintenanceWindow, type Service } from './model.ts';
import { describeOpeningHours, openingHoursSpecification } from './opening-hours.ts';

/** A service as search results show it (HTML and JSON): what a citizen needs to choose. */
export function serviceSummary(
  service: Service,
  body: Body | undefined,
  lang: Language,
  availability?: ServiceAvailability,
) {
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
    ...(availability && { availability }),
  };
}

/** Embeds JSON in an HTML <script> element: "<" escaped so no "</script>" or "<!--" can close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Where a citizen goes or calls for a service: the service's own office and desk hours, else the body's
 * main office with its hours (a service's own hours, when given, win over the body's).
 */
export function serviceDesk(service: Service, body: Body | undefined) {
  const own = service.infoSheet.office;
  const office = own ?? body?.office;
  const hours = service.availability.openingHours;
  const openingHours = hours.length > 0 || own ? hours : (body?.office?.openingHours ?? []);
  return { office, openingHours, ownOffice: Boolean(own) };
}

/**
 * schema.org GovernmentService (https://schema.org/GovernmentService) for a service's info sheet: the
 * provider with its contacts, and the channel with the online link, the office (serviceLocation, a
 * GovernmentOffice) and the desk's contact point with its hours (hoursAvailable).
 */
export function governmentServiceJsonLd(
  service: Service,
  body: Body | undefined,
  publicUrl: string,
  lang: Language,
) {
  const page = new URL(`/services/${service.id}`, publicUrl).href;
  const { office, openingHours } = serviceDesk(service, body);
  const hours = openingHours.flatMap(openingHoursSpecification);
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
      telephone: body.contacts.phone,
      logo: body.logo,
    },
    availableChannel: {
      '@type': 'ServiceChannel',
      serviceUrl: new URL(`/go/${service.id}`, publicUrl).href,
      availableLanguage: ['it', 'en'],
      ...(office && {
        serviceLocation: {
          '@type': 'GovernmentOffice',
          name: office.name[lang],
          address: office.address,
          telephone: office.phone,
          email: office.email,
          ...(hours.length > 0 && { openingHoursSpecification: hours }),
        },
      }),
      ...((office?.phone || office?.email || hours.length > 0) && {
        servicePhone: {
          '@type': 'ContactPoint',
          telephone: office?.phone ?? body?.contacts.phone,
          email: office?.email ?? body?.contacts.email,
          availableLanguage: ['it'],
          ...(hours.length > 0 && { hoursAvailable: hours }),
        },
      }),
    },
    isRelatedTo: service.lifeEvents.map((e) => ({ '@type': 'Thing', '@id': lifeEventUri(e) })),
    dateModified: service.updatedAt,
  };
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** A format on the network's clock, made once per language and shape. */
function networkFormat(lang: Language, shape: 'weekday' | 'date' | 'dateTime'): Intl.DateTimeFormat {
  const key = `${lang}:${shape}`;
  let format = timeFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      shape === 'weekday'
        ? { weekday: 'long', timeZone: 'UTC' }
        : shape === 'date'
          ? { day: 'numeric', month: 'long', timeZone: 'UTC' }
          : {
              day: 'numeric',
              month: 'long',
              hour: 'numeric',
              minute: '2-digit',
              timeZone: NETWORK_TIME_ZONE,
            };
    format = new Intl.DateTimeFormat(lang, options);
    timeFormats.set(key, format);
  }
  return format;
}

/** "08:30" as people say it: "8:30". */
const spokenTime = (hhmm: string) => hhmm.replace(/^0(?=\d:)/, '');

/** When the desk opens next, in the words the page uses: today, tomorrow, a weekday this week, a date. */
function nextOpening(next: { date: string; daysAhead: number; opensAt: string }, lang: Language) {
  const day = new Date(`${next.date}T00:00:00Z`);
  const when =
    next.daysAhead === 0
      ? 'today'
      : next.daysAhead === 1
        ? 'tomorrow'
        : next.daysAhead < 7
          ? 'weekday'
          : 'date';
  return {
    when,
    weekday: networkFormat(lang, 'weekday').format(day),
    date: networkFormat(lang, 'date').format(day),
    time: spokenTime(next.opensAt),
  };
}

/**
 * Whether a service can be used at an instant, for sheets and search results: its desk open or closed
 * (with until when, or when it opens, and why it is closed on a holiday), and its online channel down for
 * maintenance, with the windows still to come. Nothing here when the service has no desk hours and no
 * maintenance: it is simply always on.
 */
export function serviceAvailability(service: Service, body: Body | undefined, instant: Date, lang: Language) {
  const calendar = deskCalendar(serviceDesk(service, body).openingHours, body);
  const state = calendar.weekly.length > 0 ? openState(calendar, localMoment(instant), lang) : undefined;
  const windows = upcomingMaintenance(service.availability.maintenance, instant);
  const current = maintenanceAt(windows, instant);
  const dateTime = (iso: string) => networkFormat(lang, 'dateTime').format(new Date(iso));
  return {
    desk: state && {
      open: state.open,
      ...(state.open
        ? { closesAt: spokenTime(state.closesAt) }
        : {
            ...(state.today && {
              closedBecause: state.today.kind,
              ...(state.today.kind === 'holiday' && { holiday: state.today.name }),
            }),
            ...(state.next && { next: nextOpening(state.next, lang) }),
          }),
    },
    maintenance: {
      now: current && { until: dateTime(current.to) },
      planned: windows
        .filter((w) => w !== current)
        .map((w) => ({ from: dateTime(w.from), to: dateTime(w.to) })),
    },
  };
}
export type ServiceAvailability = ReturnType<typeof serviceAvailability>;
/** How a citizen reaches a service from its sheet, as the sheet tells them. */
export const ACCESS_MODES = ['sso', 'procedure', 'deepLink', 'link'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/**
 * The access mode follows from what the service is, not from what the body wrote: "without a new
 * login" only for a registered single-sign-on client; a procedure when the link leads to one of the
 * gateway's own procedures; a deep link when a template takes the citizen to their own page; else a
 * plain link to the body's site.
 */
export function accessMode(
  service: Pick<Service, 'integration' | 'sso' | 'deepLink'>,
  publicUrl: string,
): AccessMode {
  if (service.integration === 'sso' && service.sso) return 'sso';
  const link = linkOrigin(service.deepLink);
  if (link.origin === new URL(publicUrl).origin && link.pathname.startsWith('/procedures/'))
    return 'procedure';
  return 'template' in service.deepLink ? 'deepLink' : 'link';
}

/**
 * Whether a service can be used now (serviceAvailability), worked out once per catalog version (which
 * names the service and its body), language and minute rather than for every page that shows it: desk
 * hours and holidays change on the minute, and a service whose maintenance starts or ends within the
 * minute is worked out at each request. Nothing of a visitor is in it. Bounded; cleared when full.
 */
export function createAvailabilityNow(maxEntries = 5000) {
  const kept = new Map<string, { minute: number; availability: ServiceAvailability }>();
  return (service: Service, body: Body | undefined, version: number, lang: Language, instant: Date) => {
    const minute = Math.floor(instant.getTime() / 60_000);
    const key = `${version}\n${service.id}\n${lang}`;
    const found = kept.get(key);
    if (found?.minute === minute) return found.availability;
    const availability = serviceAvailability(service, body, instant, lang);
    if (!maintenanceChangesWithin(service.availability.maintenance, minute)) {
      if (!found && kept.size >= maxEntries) kept.clear();
      kept.set(key, { minute, availability });
    }
    return availability;
  };
}
export type AvailabilityNow = ReturnType<typeof createAvailabilityNow>;

/**
 * What an information sheet shows of the catalog alone (its office and desk hours in words, how it is reached,
 * its JSON-LD), worked out once per catalog version and language rather than for every citizen who
 * opens it, and whether it is open now (availabilityNow). Nothing of a visitor is in it. Bounded;
 * cleared when full.
 */
export function createSheetParts(publicUrl: string, availabilityNow: AvailabilityNow, maxEntries = 2000) {
  interface Kept {
    access: AccessMode;
    desk: ReturnType<typeof serviceDesk> & { openingHours: string[] };
    jsonLd: string;
  }
  const kept = new Map<string, Kept>();
  return (service: Service, body: Body | undefined, version: number, lang: Language, instant: Date) => {
    const key = `${version}\n${service.id}\n${lang}`;
    let parts = kept.get(key);
    if (!parts) {
      if (kept.size >= maxEntries) kept.clear();
      const desk = serviceDesk(service, body);
      parts = {
        access: accessMode(service, publicUrl),
        desk: { ...desk, openingHours: desk.openingHours.map((h) => describeOpeningHours(h, lang)) },
        jsonLd: jsonForScript(governmentServiceJsonLd(service, body, publicUrl, lang)),
      };
      kept.set(key, parts);
    }
    return { ...parts, availability: availabilityNow(service, body, version, lang, instant) };
  };
}

/** Whether a maintenance window starts or ends after the first instant of a minute and within it. */
function maintenanceChangesWithin(windows: readonly MaintenanceWindow[], minute: number): boolean {
  const start = minute * 60_000;
  return windows.some((w) =>
    [Date.parse(w.from), Date.parse(w.to)].some((at) => at > start && at < start + 60_000),
  );
}
