import type { CitizenIdentity } from '../identity/citizen.ts';
import type { Language } from '../platform/i18n.ts';
import type { CaseRecord, HistoryEntry } from './case.repository.ts';
import type {
  CitizenAttribute,
  FieldDefinition,
  PageDefinition,
  StepDefinition,
} from './definition.schema.ts';
import type { Procedure } from './definitions.ts';
import type { FieldError, FormValue, FormValues } from './form.ts';
import type { StepStatus } from './step-state.ts';

/**
 * What the journey's pages show, computed from the definition, the draft or the case: labels in the
 * page's language, values as people read them. No HTTP, no Redis.
 */
export type Translate = (key: string, options?: Record<string, unknown>) => string;
export type BodyNames = ReadonlyMap<string, string>;

const LOCALES: Record<Language, string> = { it: 'it-IT', en: 'en-GB' };

/** A YYYY-MM-DD date as people write it ("20 novembre 2026"). */
export const formatDate = (iso: string, lang: Language) =>
  new Date(`${iso}T00:00:00Z`).toLocaleDateString(LOCALES[lang], {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });

/** An instant in Italian time, date and time. */
export const formatInstant = (iso: string, lang: Language) =>
  new Date(iso).toLocaleString(LOCALES[lang], {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Europe/Rome',
  });

/** A stored value as the form's input shows it again (the inverse of form.ts's parsing). */
export function inputText(field: FieldDefinition, value: FormValue | undefined): string {
  if (value === undefined) return '';
  if (field.type === 'checkbox') return value === true ? 'yes' : '';
  return String(value);
}

/** A stored value as the preview, the receipt and the case page show it. */
export function displayValue(field: FieldDefinition, value: FormValue, lang: Language, t: Translate): string {
  switch (field.type) {
    case 'select':
    case 'radio':
      return field.options.find((o) => o.value === value)?.label[lang] ?? String(value);
    case 'checkbox':
      return t(value === true ? 'procedures.yes' : 'procedures.no');
    case 'date':
      return formatDate(String(value), lang);
    case 'number':
      return Number(value).toLocaleString(LOCALES[lang]);
    default:
      return String(value);
  }
}

/** The message of a refused field: the definition's own for a pattern, else the generic one. */
export function errorMessage(field: FieldDefinition, error: FieldError, lang: Language, t: Translate) {
  if (error.code === 'pattern' && 'patternMessage' in field && field.patternMessage)
    return field.patternMessage[lang];
  const limit =
    typeof error.limit === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(error.limit)
      ? formatDate(error.limit, lang)
      : typeof error.limit === 'number'
        ? error.limit.toLocaleString(LOCALES[lang])
        : error.limit;
  return t(`procedures.fieldErrors.${error.code}`, { limit });
}

/** The HTML id of a field's input (of its first option, for a group of radio buttons). */
export const inputId = (field: FieldDefinition) =>
  field.type === 'radio' ? `field-${field.id}-0` : `field-${field.id}`;

export interface FieldView {
  field: FieldDefinition;
  label: string;
  hint?: string;
  options: Array<{ value: string; label: string }>;
  text: string;
  error?: string;
}

/** One form page's fields, with what was typed and why it was refused. */
export function pageFields(
  page: PageDefinition,
  texts: Readonly<Record<string, string>>,
  errors: readonly FieldError[],
  lang: Language,
  t: Translate,
): FieldView[] {
  return page.fields.map((field) => {
    const error = errors.find((e) => e.field === field.id);
    return {
      field,
      label: field.label[lang],
      ...(field.hint ? { hint: field.hint[lang] } : {}),
      options: 'options' in field ? field.options.map((o) => ({ value: o.value, label: o.label[lang] })) : [],
      text: texts[field.id] ?? '',
      ...(error ? { error: errorMessage(field, error, lang, t) } : {}),
    };
  });
}

/** The posted value of each field of a page, as text to show again (anything but a string shows empty). */
export function postedTexts(page: PageDefinition, posted: Readonly<Record<string, unknown>>) {
  return Object.fromEntries(
    page.fields.map((f) => {
      const raw = Object.hasOwn(posted, f.id) ? posted[f.id] : undefined;
      return [f.id, typeof raw === 'string' ? raw.slice(0, 10_000) : ''];
    }),
  );
}

export const draftTexts = (page: PageDefinition, values: FormValues) =>
  Object.fromEntries(page.fields.map((f) => [f.id, inputText(f, values[f.id])]));

const applicantValue = (citizen: CitizenIdentity, attribute: CitizenAttribute, lang: Language) => {
  const value = citizen[attribute];
  return attribute === 'dateOfBirth' && value ? formatDate(value, lang) : value;
};

export interface ReceivedItem {
  label: string;
  value: string;
}

export interface StepPreview {
  id: string;
  title: string;
  description?: string;
  applicant: ReceivedItem[];
  fields: ReceivedItem[];
  /** Outputs of earlier steps, known only once those are done: named with where they come from. */
  inputs: Array<{ label: string; from: string }>;
}

/** Steps grouped by the body that handles them, in the order they run, the bodies in order of first step. */
function byBody<T>(procedure: Procedure, each: (step: StepDefinition) => T, names: BodyNames) {
  const groups = new Map<string, { ipaCode: string; name: string; steps: T[] }>();
  for (const step of procedure.order) {
    let group = groups.get(step.body);
    if (!group)
      groups.set(
        step.body,
        (group = { ipaCode: step.body, name: names.get(step.body) ?? step.body, steps: [] }),
      );
    group.steps.push(each(step));
  }
  return [...groups.values()];
}

/**
 * Exactly what each body will receive, per step, as the engine will send it (case.service payloadFor):
 * the listed attributes of the applicant's identity that it has, the listed form fields that were
 * filled in, and the listed outputs of earlier steps.
 */
export function previewByBody(
  procedure: Procedure,
  values: FormValues,
  citizen: CitizenIdentity,
  names: BodyNames,
  lang: Language,
  t: Translate,
) {
  return byBody(
    procedure,
    (step): StepPreview => ({
      id: step.id,
      title: step.title[lang],
      ...(step.description ? { description: step.description[lang] } : {}),
      applicant: step.citizen.flatMap((attribute) => {
        const value = applicantValue(citizen, attribute, lang);
        return value ? [{ label: t(`procedures.applicant.${attribute}`), value }] : [];
      }),
      fields: step.fields.flatMap((id) => {
        const field = procedure.fields.get(id);
        const value = values[id];
        return field && value !== undefined
          ? [{ label: field.label[lang], value: displayValue(field, value, lang, t) }]
          : [];
      }),
      inputs: step.inputs.map((input) => {
        const [source = '', output = ''] = input.split('.');
        const from = procedure.step(source);
        return {
          label: from?.outputs[output]?.label[lang] ?? output,
          from: t('procedures.preview.inputFrom', {
            step: from?.title[lang] ?? source,
            body: names.get(from?.body ?? '') ?? from?.body ?? '',
          }),
        };
      }),
    }),
    names,
  );
}

/** What each body receives, by name only (the receipt: no personal data on paper). */
export function receiptByBody(procedure: Procedure, names: BodyNames, lang: Language, t: Translate) {
  return byBody(
    procedure,
    (step) => ({
      title: step.title[lang],
      data: [
        ...step.citizen.map((a) => t(`procedures.applicant.${a}`)),
        ...step.fields.map((id) => procedure.fields.get(id)?.label[lang] ?? id),
        ...step.inputs.map((input) => {
          const [source = '', output = ''] = input.split('.');
          return procedure.step(source)?.outputs[output]?.label[lang] ?? output;
        }),
      ],
    }),
    names,
  );
}

export interface StepProgress {
  id: string;
  title: string;
  body: string;
  status: StepStatus;
  at: string;
  reason?: string;
  outputs: ReceivedItem[];
  /** For a waiting step: the steps it waits for. */
  waitingFor: string[];
  /** For a cancelled step: the rejected step that stopped it. */
  stoppedBy?: string;
  /** The delivery used up its retries and the network staff were told; the citizen need not act. */
  deliveryTrouble: boolean;
}

/** Every step of a case, in the order they run, with what the citizen needs to know about each. */
export function caseProgress(
  procedure: Procedure,
  record: CaseRecord,
  outputs: Readonly<Record<string, Record<string, string>>>,
  history: readonly HistoryEntry[],
  names: BodyNames,
  lang: Language,
): StepProgress[] {
  const title = (id: string) => procedure.step(id)?.title[lang] ?? id;
  return procedure.order.map((step) => {
    const state = record.steps[step.id] ?? { status: 'waiting' as const, at: record.createdAt };
    const last = history.filter((entry) => entry.step === step.id).at(-1);
    const stoppedBy =
      state.status === 'cancelled'
        ? procedure.order.find(
            (s) => record.steps[s.id]?.status === 'rejected' && isBefore(procedure, s.id, step.id),
          )?.id
        : undefined;
    return {
      id: step.id,
      title: step.title[lang],
      body: names.get(step.body) ?? step.body,
      status: state.status,
      at: state.at,
      ...(state.reason ? { reason: state.reason } : {}),
      outputs: Object.entries(outputs[step.id] ?? {}).map(([name, value]) => {
        const output = step.outputs[name];
        return {
          label: output?.label[lang] ?? name,
          value: output?.type === 'date' ? formatDate(value, lang) : value,
        };
      }),
      waitingFor:
        state.status === 'waiting'
          ? step.after.filter((id) => record.steps[id]?.status !== 'completed').map(title)
          : [],
      ...(stoppedBy ? { stoppedBy: title(stoppedBy) } : {}),
      deliveryTrouble: state.status === 'queued' && last?.status === 'dead-lettered',
    };
  });
}

/** Whether `before` comes, directly or not, before `id`. */
function isBefore(procedure: Procedure, before: string, id: string): boolean {
  const pending = [...(procedure.step(id)?.after ?? [])];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (next === before) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(procedure.step(next)?.after ?? []));
  }
  return false;
}
