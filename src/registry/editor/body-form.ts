import type { Body } from '../../catalog/model.ts';
import type { Language } from '../../platform/i18n.ts';
import {
  patronDayFromText,
  patronDayToText,
  specialDaysFromText,
  specialDaysToText,
} from './calendar-form.ts';
import { lines, officeFromForm, officeToForm } from './office-form.ts';

type Form = Record<string, unknown>;

const text = (form: Form, key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '');
const optional = (form: Form, key: string) => (text(form, key) ? { [key]: text(form, key) } : {});

/**
 * The editor's body profile form (flat fields) as the registration API's BodyProfile (PUT /api/v1/body);
 * the catalog writer validates it with the same schema.
 */
export function bodyFormToProfile(form: Form): unknown {
  const office = officeFromForm(form, 'office');
  const hours = lines(text(form, 'office_openingHours'));
  const specialDays = specialDaysFromText(text(form, 'office_specialDays'));
  const patronDay = patronDayFromText(text(form, 'office_patronDay'));
  return {
    name: { it: text(form, 'name_it'), en: text(form, 'name_en') },
    kind: text(form, 'kind'),
    ...optional(form, 'article'),
    territory: text(form, 'territory'),
    contacts: {
      email: text(form, 'email'),
      ...optional(form, 'pec'),
      ...optional(form, 'phone'),
      website: text(form, 'website'),
    },
    ...optional(form, 'logo'),
    // Opening hours or days without an office still make an (invalid) office, so the editor hears about it.
    ...((office || hours.length > 0 || specialDays.length > 0 || patronDay) && {
      office: {
        ...(office ?? { name: { it: '', en: '' }, address: '' }),
        openingHours: hours,
        specialDays,
        ...(patronDay && { patronDay }),
      },
    }),
  };
}

/** A stored body as the form's field values. */
export function bodyToForm(body: Body, lang: Language): Record<string, string> {
  return {
    name_it: body.name.it,
    name_en: body.name.en,
    kind: body.kind,
    article: body.article ?? '',
    territory: body.territory,
    email: body.contacts.email,
    pec: body.contacts.pec ?? '',
    phone: body.contacts.phone ?? '',
    website: body.contacts.website,
    logo: body.logo ?? '',
    ...officeToForm(body.office, 'office'),
    office_openingHours: body.office?.openingHours.join('\n') ?? '',
    office_specialDays: specialDaysToText(body.office?.specialDays ?? [], lang),
    office_patronDay: patronDayToText(body.office?.patronDay),
  };
}

/** The form field an input path belongs to (for the error summary). */
export function bodyFormField(path: string): string {
  const [head = '', second = ''] = path.split('.');
  if (head === 'contacts') return ['email', 'pec', 'phone', 'website'].includes(second) ? second : 'email';
  if (head === 'office')
    return ['openingHours', 'specialDays', 'patronDay'].includes(second) ? `office_${second}` : 'office';
  return ['name', 'kind', 'article', 'territory', 'logo'].includes(head) ? head : 'name';
}
