import type { Endpoint } from '../../catalog/endpoint.ts';

type Form = Record<string, unknown>;

const text = (form: Form, key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '');

/** The editor's endpoint form (flat fields) as the API's EndpointInput; the writer validates it. */
export function endpointFormToInput(form: Form): unknown {
  return {
    title: { it: text(form, 'title_it'), en: text(form, 'title_en') },
    url: text(form, 'url'),
    handles: text(form, 'handles')
      .split(/[\s,]+/)
      .filter(Boolean),
  };
}

/** A stored endpoint as the form's field values. */
export function endpointToForm(endpoint: Endpoint): Record<string, string> {
  return {
    id: endpoint.id,
    title_it: endpoint.title.it,
    title_en: endpoint.title.en,
    url: endpoint.url,
    handles: endpoint.handles.join('\n'),
  };
}

const FIELDS = ['title', 'url', 'handles'];

/** The form field an input path belongs to (for the error summary). */
export const formFieldOfEndpoint = (path: string): string => {
  const head = path.split('.')[0] ?? '';
  return FIELDS.includes(head) ? head : 'id';
};
