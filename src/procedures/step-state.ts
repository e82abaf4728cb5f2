/**
 * The life of one step of a case. A step moves only forward through this table, so a duplicate or
 * late report (an "accepted" after a "completed") changes nothing and is harmless.
 *
 *   waiting ─► queued ─► delivered ─► accepted ─► completed | rejected
 *      └─► cancelled (a step it depends on was rejected)
 *
 * A body may report before its delivery's answer was recorded, so reports are accepted from queued on.
 */
export const STEP_STATUSES = [
  'waiting',
  'queued',
  'delivered',
  'accepted',
  'completed',
  'rejected',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  waiting: ['queued', 'cancelled'],
  queued: ['delivered', 'accepted', 'completed', 'rejected'],
  delivered: ['accepted', 'completed', 'rejected'],
  accepted: ['completed', 'rejected'],
  completed: [],
  rejected: [],
  cancelled: [],
};

/** What a body may report about a step it received. */
export const REPORTED_STATUSES = ['delivered', 'accepted', 'completed', 'rejected'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

export const isTerminal = (status: StepStatus) => TRANSITIONS[status].length === 0;
export const canMove = (from: StepStatus, to: StepStatus) => TRANSITIONS[from].includes(to);

/** The case as a whole: open while a step can still move; then completed (all completed) or closed. */
export type CaseStatus = 'open' | 'completed' | 'closed';

export function caseStatus(steps: readonly StepStatus[]): CaseStatus {
  if (!steps.every(isTerminal)) return 'open';
  return steps.every((s) => s === 'completed') ? 'completed' : 'closed';
}
