import type { ProcedureDefinition } from './definition.schema.ts';
import type { FormValues } from './form.ts';

/**
 * The citizen's way through a procedure's form, as an explicit state machine: one state per page, then
 * the preview. `next` is where a valid page leads, `back` the plain link to the previous state. The
 * guard lets a citizen onto a state only when every page before it is complete, so no one reaches the
 * preview (or confirms) with pages skipped, whatever URL they type.
 */
export type JourneyState = `page:${string}` | 'preview';

export interface Transition {
  next: JourneyState;
  back?: JourneyState;
}

export interface Draft {
  values: FormValues;
  /** Pages submitted valid, by id. */
  completed: string[];
  /**
   * The token the preview's confirmation form carries, made once per draft: every tab and every
   * double click of the same draft confirms under it, so they file one case between them.
   */
  submission?: string;
}

export const emptyDraft = (): Draft => ({ values: {}, completed: [] });

export function journeyTable(definition: ProcedureDefinition): ReadonlyMap<JourneyState, Transition> {
  const states: JourneyState[] = [
    ...definition.form.pages.map((p): JourneyState => `page:${p.id}`),
    'preview',
  ];
  return new Map(
    states.map((state, i): [JourneyState, Transition] => [
      state,
      { next: states[i + 1] ?? 'preview', ...(i > 0 ? { back: states[i - 1] } : {}) },
    ]),
  );
}

const pagesBefore = (definition: ProcedureDefinition, state: JourneyState): string[] => {
  const ids = definition.form.pages.map((p) => p.id);
  return state === 'preview' ? ids : ids.slice(0, ids.indexOf(state.slice(5)));
};

/** Whether the citizen may be on `state` with this draft. */
export function isAllowed(definition: ProcedureDefinition, draft: Draft, state: JourneyState): boolean {
  if (!journeyTable(definition).has(state)) return false;
  return pagesBefore(definition, state).every((id) => draft.completed.includes(id));
}

/** Where a citizen resumes: the first page not yet complete, or the preview. */
export function resumeState(definition: ProcedureDefinition, draft: Draft): JourneyState {
  const page = definition.form.pages.find((p) => !draft.completed.includes(p.id));
  return page ? `page:${page.id}` : 'preview';
}

/** The path of a state. */
export const statePath = (procedureId: string, state: JourneyState) =>
  state === 'preview'
    ? `/procedures/${procedureId}/preview`
    : `/procedures/${procedureId}/pages/${state.slice(5)}`;

/** The path that sends a citizen, once logged in at the procedure's level, to where their draft stands. */
export const resumePath = (procedureId: string) => `/procedures/${procedureId}/resume`;
