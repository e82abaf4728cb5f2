import { normaliseFiscalCode } from '../identity/citizen.ts';
import type { FieldDefinition, PageDefinition } from './definition.schema.ts';

/** A form value as kept in a draft or a case: text (dates as YYYY-MM-DD), a number, or a ticked box. */
export type FormValue = string | number | boolean;
export type FormValues = Record<string, FormValue>;

/** Why a field was refused; the page shows `procedures.fieldErrors.<code>` (or the definition's own message). */
export const FIELD_ERROR_CODES = [
  'required',
  'wrongType',
  'tooShort',
  'tooLong',
  'pattern',
  'email',
  'tel',
  'fiscalCode',
  'number',
  'tooSmall',
  'tooLarge',
  'date',
  'tooEarly',
  'tooLate',
  'option',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

export interface FieldError {
  field: string;
  code: FieldErrorCode;
  /** The bound the value broke (a length, a number, a date), for the message. */
  limit?: string | number;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/;
const TEL = /^\+?[0-9 ]{6,20}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The date a bound names ("today", "today-10d", "2024-01-01"), relative to `today` (YYYY-MM-DD). */
export function resolveDateBound(bound: string, today: string): string {
  const relative = /^today(?:([+-])(\d+)d)?$/.exec(bound);
  if (!relative) return bound;
  const [, sign, days] = relative;
  const offset = sign ? (sign === '-' ? -1 : 1) * Number(days) : 0;
  return new Date(Date.parse(`${today}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);
}

function isRealDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

type Check = { value: FormValue } | { error: Omit<FieldError, 'field'> };

function checkText(field: FieldDefinition & { maxLength: number }, text: string): Check {
  if (text.length > field.maxLength) return { error: { code: 'tooLong', limit: field.maxLength } };
  if ('minLength' in field && field.minLength !== undefined && text.length < field.minLength)
    return { error: { code: 'tooShort', limit: field.minLength } };
  if (field.type === 'email' && !EMAIL.test(text)) return { error: { code: 'email' } };
  if (field.type === 'tel' && !TEL.test(text)) return { error: { code: 'tel' } };
  if ('pattern' in field && field.pattern && !new RegExp(`^(?:${field.pattern})$`, 'u').test(text))
    return { error: { code: 'pattern' } };
  return { value: text };
}

/** Checks one non-empty text value against its field; `today` (YYYY-MM-DD) bounds date fields. */
function checkValue(field: FieldDefinition, text: string, today: string): Check {
  switch (field.type) {
    case 'text':
    case 'textarea':
    case 'email':
    case 'tel':
      return checkText(field, text);
    case 'fiscalCode': {
      const code = normaliseFiscalCode(text.length <= 40 ? text : '');
      return code ? { value: code } : { error: { code: 'fiscalCode' } };
    }
    case 'number': {
      if (!/^-?\d{1,15}$/.test(text)) return { error: { code: 'number' } };
      const number = Number(text);
      if (field.min !== undefined && number < field.min)
        return { error: { code: 'tooSmall', limit: field.min } };
      if (field.max !== undefined && number > field.max)
        return { error: { code: 'tooLarge', limit: field.max } };
      return { value: number };
    }
    case 'date': {
      if (!isRealDate(text)) return { error: { code: 'date' } };
      const min = field.min ? resolveDateBound(field.min, today) : undefined;
      const max = field.max ? resolveDateBound(field.max, today) : undefined;
      if (min && text < min) return { error: { code: 'tooEarly', limit: min } };
      if (max && text > max) return { error: { code: 'tooLate', limit: max } };
      return { value: text };
    }
    case 'select':
    case 'radio':
      return field.options.some((o) => o.value === text) ? { value: text } : { error: { code: 'option' } };
    case 'checkbox':
      return text === 'yes' ? { value: true } : { error: { code: 'option' } };
  }
}

/**
 * Validates the fields of one page as the browser posted them (strings; anything else is refused) and
 * returns the parsed values of the valid ones plus every error, in the order of the page.
 */
export function validatePage(
  page: PageDefinition,
  posted: Readonly<Record<string, unknown>>,
  today: string,
): { values: FormValues; errors: FieldError[] } {
  const values: FormValues = {};
  const errors: FieldError[] = [];
  for (const field of page.fields) {
    const raw = Object.hasOwn(posted, field.id) ? posted[field.id] : undefined;
    if (raw !== undefined && typeof raw !== 'string') {
      errors.push({ field: field.id, code: 'wrongType' });
      continue;
    }
    // Bounded before any work: a huge value costs nothing more than being refused.
    const text = (raw ?? '').length > 10_000 ? (raw ?? '') : (raw ?? '').trim();
    if (text === '') {
      if (field.required) errors.push({ field: field.id, code: 'required' });
      else if (field.type === 'checkbox') values[field.id] = false;
      continue;
    }
    const checked = checkValue(field, text, today);
    if ('error' in checked) errors.push({ field: field.id, ...checked.error });
    else values[field.id] = checked.value;
  }
  return { values, errors };
}

/** Today's date where the citizens are (Italy), as YYYY-MM-DD. */
export function italianToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(now);
}
