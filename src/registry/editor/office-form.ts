type Form = Record<string, unknown>;

const text = (form: Form, key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '');

/** An office as flat form fields `<prefix>_name_it`, `_name_en`, `_address`, `_phone`, `_email`. */
export interface OfficeFields {
  name: { it: string; en: string };
  address: string;
  phone?: string;
  email?: string;
}

/** The office a form describes; undefined when every office field is blank (no office). */
export function officeFromForm(form: Form, prefix: string): OfficeFields | undefined {
  const value = (key: string) => text(form, `${prefix}_${key}`);
  const keys = ['name_it', 'name_en', 'address', 'phone', 'email'];
  if (keys.every((k) => value(k) === '')) return undefined;
  return {
    name: { it: value('name_it'), en: value('name_en') },
    address: value('address'),
    ...(value('phone') && { phone: value('phone') }),
    ...(value('email') && { email: value('email') }),
  };
}

/** A stored office as the form's field values. */
export function officeToForm(office: OfficeFields | undefined, prefix: string): Record<string, string> {
  if (!office) return {};
  return {
    [`${prefix}_name_it`]: office.name.it,
    [`${prefix}_name_en`]: office.name.en,
    [`${prefix}_address`]: office.address,
    [`${prefix}_phone`]: office.phone ?? '',
    [`${prefix}_email`]: office.email ?? '',
  };
}

/** Non-empty trimmed lines of a textarea. */
export const lines = (raw: string) =>
  raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
