import { createHash, randomBytes } from 'node:crypto';
import type { CitizenIdentity } from '../identity/citizen.ts';
import { normaliseFiscalCode } from '../identity/citizen.ts';
import { AppError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import type { CaseRecord, CaseRepository, HistoryEntry, StepState } from './case.repository.ts';
import type { DataCipher } from '../citizen/data-cipher.ts';
import { qualifiedStepId, type CitizenAttribute, type StepDefinition } from './definition.schema.ts';
import type { Procedure, ProcedureCatalogue } from './definitions.ts';
import type { FormValue, FormValues } from './form.ts';
import { canMove, caseStatus, isTerminal, type ReportedStatus, type StepStatus } from './step-state.ts';

/**
 * Where a body's endpoint is and whether it takes deliveries (the registry's endpoints): `active`, or
 * `host-not-declared` when an admin withdrew the domain of its URL; undefined when it is unknown,
 * disabled or its body suspended.
 */
export type EndpointLookup = (
  bodyIpa: string,
  endpointId: string,
) => Promise<{ url: string; status: 'active' | 'host-not-declared' } | undefined>;

/** One delivery to put in the queue; its id is the idempotency key. */
export interface DeliveryJob {
  caseId: string;
  stepId: string;
  bodyIpa: string;
  endpointId: string;
}
export type Enqueue = (jobs: readonly DeliveryJob[]) => Promise<void>;

export const idempotencyKey = (caseId: string, stepId: string) => `${caseId}.${stepId}`;

/** A step's endpoint is not registered or not active: the case is not created, the draft stays. */
export class ProcedureUnavailableError extends AppError {
  constructor(readonly step: string) {
    super(503, 'procedure_unavailable', `the endpoint of step "${step}" is not available`);
  }
}

export class StepNotStartedError extends AppError {
  constructor() {
    super(409, 'step_not_started', 'this step has not been delivered yet');
  }
}

export class OutputsInvalidError extends AppError {
  constructor(problems: string[]) {
    super(422, 'outputs_invalid', problems.join('; '));
  }
}

/** A step of a case moved as its body reported: what listeners (the citizen's mail) are told. */
export interface CaseMoved {
  caseId: string;
  procedureId: string;
  reference: string;
  /** The citizen's reference (never the fiscal code). */
  owner: string;
  step: { id: string; body: string; title: { it: string; en: string } };
  status: StepStatus;
  reason?: string;
  caseStatus: 'open' | 'completed' | 'closed';
  /** When the case was filed (ISO 8601): with the move's time, how long the case took. */
  openedAt: string;
  /** When the move was applied (ISO 8601). */
  at: string;
  /** When the step entered the state it left (ISO 8601): with `at`, how long the body took. */
  since: string;
}
export type CaseMovedListener = (event: CaseMoved) => Promise<void>;

export interface StepReport {
  status: ReportedStatus;
  outputs?: Record<string, string>;
  reason?: string;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 80 random bits in Crockford base32 (no I, L, O, U): easy to read out on the phone. */
const caseIdOf = (bytes: Uint8Array) =>
  [...bytes]
    .slice(0, 16)
    .map((byte) => CROCKFORD[byte % 32])
    .join('');

export function newCaseId(): string {
  return caseIdOf(randomBytes(16));
}

/**
 * The id of the case a confirmation files, fixed by the citizen and the draft's secret submission token
 * before anything is written: a confirmation repeated after a crash (however late) finds the case the
 * first one filed instead of filing a second. Unguessable, as the token is.
 */
export function caseIdForSubmission(owner: string, token: string): string {
  return caseIdOf(createHash('sha256').update(`varco:case:${owner}:${token}`).digest());
}

/** The reference number printed on the receipt. */
export const referenceOf = (caseId: string) => `VRC-${caseId.match(/.{4}/g)?.join('-') ?? caseId}`;

/** Validates what a body reports as a step's outputs: exactly the declared ones, each of its type. */
export function parseOutputs(step: StepDefinition, raw: Record<string, string> = {}): Record<string, string> {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  // Own properties only: "toString" or "constructor" are in every object, not declared outputs.
  for (const name of Object.keys(raw))
    if (!Object.hasOwn(step.outputs, name)) problems.push(`unknown output "${name}"`);
  for (const [name, output] of Object.entries(step.outputs)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`output "${name}" is missing`);
      continue;
    }
    const parsed =
      output.type === 'fiscalCode'
        ? normaliseFiscalCode(value)
        : output.type === 'date'
          ? /^\d{4}-\d{2}-\d{2}$/.test(value)
            ? value
            : undefined
          : value.trim().slice(0, 200);
    if (parsed === undefined) problems.push(`output "${name}" is not a valid ${output.type}`);
    else out[name] = parsed;
  }
  if (problems.length > 0) throw new OutputsInvalidError(problems);
  return out;
}

const applicantOf = (citizen: CitizenIdentity): Partial<Record<CitizenAttribute, string>> => ({
  fiscalCode: citizen.fiscalCode,
  name: citizen.name,
  familyName: citizen.familyName,
  ...(citizen.dateOfBirth ? { dateOfBirth: citizen.dateOfBirth } : {}),
  ...(citizen.email ? { email: citizen.email } : {}),
});

/** The declaration the citizen ticked to confirm: its words as shown, in their language, and when. */
export interface Declaration {
  text: string;
  language: Language;
  at: string;
}

interface StoredForm {
  values: FormValues;
  applicant: Partial<Record<CitizenAttribute, string>>;
  /** Absent only from cases filed before the declaration was recorded with the case. */
  declaration?: Declaration;
}

/** A value as two cases about the same thing compare it: "Giulia " and "giulia", "Nicolò" and "Nicolo" match. */
const sameCaseText = (value: FormValue | undefined) =>
  value === undefined
    ? ''
    : String(value)
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .toLocaleLowerCase('it')
        .replace(/\s+/g, ' ')
        .trim();

/** What a body receives for one step: only what the definition lists for it. */
export interface DeliveryPayload {
  case: string;
  reference: string;
  procedure: { id: string; version: number };
  step: string;
  applicant: Record<string, string>;
  data: FormValues;
  inputs: Record<string, string>;
  /** What the applicant declared on confirming (DPR 445/2000 art. 46 and 76), for every body. */
  declaration?: Declaration;
}

/** Every step that comes, directly or not, after `id`. */
function descendants(procedure: Procedure, id: string): Set<string> {
  const found = new Set<string>();
  const pending = [id];
  while (pending.length > 0) {
    for (const next of procedure.dependents(pending.pop() as string)) {
      if (found.has(next.id)) continue;
      found.add(next.id);
      pending.push(next.id);
    }
  }
  return found;
}

/**
 * The engine's decisions: creating a case, what each body receives, how a report moves a step and
 * which steps it releases, and recovery after a crash. Never sees HTTP.
 */
export function createCaseService(deps: {
  procedures: ProcedureCatalogue;
  repository: CaseRepository;
  cipher: DataCipher;
  endpoints: EndpointLookup;
  enqueue: Enqueue;
  retainDataSeconds: number;
  /** Told once per applied move, after it is stored; their failures are theirs (logged by `onListenerError`). */
  moved?: readonly CaseMovedListener[];
  onListenerError?: (error: unknown) => void;
  now?: () => Date;
}) {
  const { repository, cipher } = deps;
  const now = deps.now ?? (() => new Date());

  function procedureOf(record: CaseRecord): Procedure {
    const procedure = deps.procedures.get(record.procedureId);
    if (!procedure)
      throw new AppError(500, 'procedure_missing', `procedure "${record.procedureId}" is not defined`);
    return procedure;
  }

  const jobFor = (caseId: string, step: StepDefinition): DeliveryJob => ({
    caseId,
    stepId: step.id,
    bodyIpa: step.body,
    endpointId: step.endpoint,
  });

  const queuedJobs = (record: CaseRecord, procedure: Procedure) =>
    procedure.order
      .filter((step) => record.steps[step.id]?.status === 'queued')
      .map((step) => jobFor(record.id, step));

  /** The new step states after `stepId` moved to `to`: released dependents queued, or cancelled ones. */
  function afterMove(procedure: Procedure, record: CaseRecord, stepId: string, moved: StepState) {
    const steps: Record<string, StepState> = { ...record.steps, [stepId]: moved };
    const changed: Record<string, StepState> = { [stepId]: moved };
    const history: HistoryEntry[] = [
      { at: moved.at, step: stepId, status: moved.status, ...(moved.reason ? { reason: moved.reason } : {}) },
    ];
    const set = (id: string, status: StepStatus) => {
      steps[id] = changed[id] = { status, at: moved.at };
      history.push({ at: moved.at, step: id, status });
    };
    if (moved.status === 'completed') {
      for (const next of procedure.dependents(stepId)) {
        const ready = next.after.every((id) => steps[id]?.status === 'completed');
        if (ready && steps[next.id]?.status === 'waiting') set(next.id, 'queued');
      }
    }
    if (moved.status === 'rejected') {
      for (const id of descendants(procedure, stepId))
        if (steps[id]?.status === 'waiting') set(id, 'cancelled');
    }
    return { steps, changed, history };
  }

  return {
    /**
     * Files a case from a complete form. Every step's endpoint must be registered and active, else
     * nothing is created (the citizen keeps the draft and is told). Steps without dependencies are
     * queued at once.
     */
    /**
     * Files a case and enqueues its first deliveries. With `options.id` (see caseIdForSubmission) it is
     * idempotent: when that case already exists for this citizen, it is returned as it is.
     */
    async confirm(
      procedure: Procedure,
      citizen: CitizenIdentity,
      values: FormValues,
      options: { id?: string; declaredIn?: Language } = {},
    ): Promise<CaseRecord> {
      if (options.id) {
        const filed = await repository.get(options.id);
        if (filed) {
          if (filed.owner !== repository.ownerRef(citizen.fiscalCode))
            throw new Error('case id taken by another citizen');
          return filed;
        }
      }
      for (const step of procedure.order) {
        const endpoint = await deps.endpoints(step.body, step.endpoint);
        if (endpoint?.status !== 'active')
          throw new ProcedureUnavailableError(qualifiedStepId(procedure.definition, step));
      }
      const at = now().toISOString();
      const id = options.id ?? newCaseId();
      const steps = Object.fromEntries(
        procedure.order.map((step): [string, StepState] => [
          step.id,
          { status: step.after.length === 0 ? 'queued' : 'waiting', at },
        ]),
      );
      const record: CaseRecord = {
        id,
        procedureId: procedure.definition.id,
        version: procedure.definition.version,
        owner: repository.ownerRef(citizen.fiscalCode),
        createdAt: at,
        updatedAt: at,
        status: 'open',
        rev: 1,
        steps,
      };
      // Confirming is declaring: the case keeps the words the citizen ticked, as every body receives them.
      const language = options.declaredIn ?? 'it';
      const declaration = { text: procedure.definition.declaration[language], language, at };
      const form: StoredForm = { values, applicant: applicantOf(citizen), declaration };
      const history: HistoryEntry[] = [
        { at, status: 'open' },
        ...Object.entries(steps).map(([step, state]) => ({ at, step, status: state.status })),
      ];
      await repository.create(record, { form: cipher.encrypt(JSON.stringify(form), `${id}:form`) }, history);
      await deps.enqueue(queuedJobs(record, procedure));
      return record;
    },

    /**
     * The citizen's latest case of this procedure whose `sameCaseWhen` fields hold the same values as
     * these (letters compared without case, accents or extra spaces): the case these values would
     * repeat. Cases whose personal data was purged are not compared. Nothing is logged.
     */
    async earlierSameCase(
      procedure: Procedure,
      fiscalCode: string,
      values: FormValues,
      /** The case this confirmation files (caseIdForSubmission): filing it again is no repeat. */
      except?: string,
      limit = 50,
    ): Promise<CaseRecord | undefined> {
      const fields = procedure.definition.sameCaseWhen;
      if (fields.length === 0) return undefined;
      const key = (from: FormValues) => JSON.stringify(fields.map((id) => sameCaseText(from[id])));
      const wanted = key(values);
      for (const id of await repository.listByCitizen(fiscalCode, limit)) {
        if (id === except) continue;
        const record = await repository.get(id);
        if (record?.procedureId !== procedure.definition.id) continue;
        if (record.owner !== repository.ownerRef(fiscalCode)) continue;
        const stored = (await repository.data(id)).form;
        if (!stored) continue;
        const form = JSON.parse(cipher.decrypt(stored, `${id}:form`)) as StoredForm;
        if (key(form.values) === wanted) return record;
      }
      return undefined;
    },

    /** The case, when the citizen with this fiscal code filed it; undefined otherwise (another's does not exist). */
    async caseOf(fiscalCode: string, caseId: string): Promise<CaseRecord | undefined> {
      if (!/^[0-9A-Z]{16}$/.test(caseId)) return undefined;
      const record = await repository.get(caseId);
      return record?.owner === repository.ownerRef(fiscalCode) ? record : undefined;
    },

    async get(caseId: string) {
      return /^[0-9A-Z]{16}$/.test(caseId) ? repository.get(caseId) : undefined;
    },

    /** Outputs of the case's completed steps, while the personal data is kept. */
    async outputs(record: CaseRecord): Promise<Record<string, Record<string, string>>> {
      const data = await repository.data(record.id);
      const out: Record<string, Record<string, string>> = {};
      for (const [field, value] of Object.entries(data)) {
        if (!field.startsWith('out:')) continue;
        const step = field.slice(4);
        out[step] = JSON.parse(cipher.decrypt(value, `${record.id}:${field}`)) as Record<string, string>;
      }
      return out;
    },

    history: (caseId: string) => repository.history(caseId),

    /** What the body of `stepId` receives, or undefined when the step is no longer waiting for delivery. */
    async payloadFor(caseId: string, stepId: string): Promise<DeliveryPayload | undefined> {
      const record = await repository.get(caseId);
      const state = record?.steps[stepId];
      if (!record || state?.status !== 'queued') return undefined;
      const procedure = procedureOf(record);
      const step = procedure.step(stepId);
      const data = await repository.data(caseId);
      if (!step || !data.form) return undefined;
      const form = JSON.parse(cipher.decrypt(data.form, `${caseId}:form`)) as StoredForm;
      const inputs: Record<string, string> = {};
      for (const input of step.inputs) {
        const [source = '', name = ''] = input.split('.');
        const stored = data[`out:${source}`];
        const outputs = stored
          ? (JSON.parse(cipher.decrypt(stored, `${caseId}:out:${source}`)) as Record<string, string>)
          : {};
        if (Object.hasOwn(outputs, name)) inputs[input] = outputs[name] as string;
      }
      const pick = <T>(from: Record<string, T>, names: readonly string[]) =>
        Object.fromEntries(
          names.filter((n) => Object.hasOwn(from, n) && from[n] !== undefined).map((n) => [n, from[n] as T]),
        );
      return {
        case: caseId,
        reference: referenceOf(caseId),
        procedure: { id: procedure.definition.id, version: record.version },
        step: qualifiedStepId(procedure.definition, step),
        applicant: pick(form.applicant as Record<string, string>, step.citizen),
        data: pick(form.values, step.fields),
        inputs,
        ...(form.declaration ? { declaration: form.declaration } : {}),
      };
    },

    /**
     * Moves a step as its body reports (or as its delivery was answered). A report that the step's
     * state has already passed changes nothing (duplicates, late or out-of-order reports). Steps it
     * releases are queued in the same atomic update, then enqueued.
     */
    async report(
      caseId: string,
      stepId: string,
      report: StepReport,
    ): Promise<{ changed: boolean; status: StepStatus }> {
      for (let attempt = 0; attempt < 20; attempt++) {
        const record = await repository.get(caseId);
        const current = record?.steps[stepId];
        if (!record || !current) throw new AppError(404, 'step_not_found');
        if (current.status === 'waiting' || current.status === 'cancelled') throw new StepNotStartedError();
        if (!canMove(current.status, report.status)) return { changed: false, status: current.status };
        const procedure = procedureOf(record);
        const step = procedure.step(stepId) as StepDefinition;
        const outputs = report.status === 'completed' ? parseOutputs(step, report.outputs) : undefined;
        const at = now().toISOString();
        const moved: StepState = {
          status: report.status,
          at,
          ...(report.status === 'rejected' ? { reason: (report.reason ?? '').slice(0, 500) } : {}),
        };
        const { steps, changed, history } = afterMove(procedure, record, stepId, moved);
        const status = caseStatus(Object.values(steps).map((s) => s.status));
        if (status !== 'open') history.push({ at, status });
        const applied = await repository.update(caseId, record.rev, {
          steps: changed,
          status,
          updatedAt: at,
          history,
          ...(outputs
            ? {
                data: {
                  [`out:${stepId}`]: cipher.encrypt(JSON.stringify(outputs), `${caseId}:out:${stepId}`),
                },
              }
            : {}),
          purgeAfterSeconds: status === 'open' ? -1 : deps.retainDataSeconds,
        });
        if (!applied) continue; // someone else changed the case meanwhile: decide again on the new state
        const released = Object.entries(changed)
          .filter(([id, state]) => id !== stepId && state.status === 'queued')
          .map(([id]) => jobFor(caseId, procedure.step(id) as StepDefinition));
        await deps.enqueue(released);
        if (status !== 'open') await repository.closeOpen(caseId);
        const event: CaseMoved = {
          caseId,
          procedureId: record.procedureId,
          reference: referenceOf(caseId),
          owner: record.owner,
          step: { id: stepId, body: step.body, title: step.title },
          status: report.status,
          ...(moved.reason ? { reason: moved.reason } : {}),
          caseStatus: status,
          openedAt: record.createdAt,
          at,
          since: current.at,
        };
        for (const listener of deps.moved ?? [])
          await listener(event).catch((error: unknown) => deps.onListenerError?.(error));
        return { changed: true, status: report.status };
      }
      throw new AppError(503, 'case_busy');
    },

    /**
     * After a crash or at start: every unfinished case is indexed for its citizen and its queued steps
     * are (re)enqueued; job ids are the idempotency keys, so what is already queued is not doubled.
     */
    async recover(graceMs = 60_000): Promise<{ cases: number; jobs: number }> {
      let cases = 0;
      let jobs = 0;
      for (const { id, createdAt } of await repository.listOpen()) {
        const record = await repository.get(id);
        if (!record) {
          // Cut short before its transaction: nothing was confirmed to anyone. Younger ones may still be writing.
          if (now().getTime() - createdAt > graceMs) await repository.closeOpen(id);
          continue;
        }
        if (record.status !== 'open' || Object.values(record.steps).every((s) => isTerminal(s.status))) {
          await repository.closeOpen(id);
          continue;
        }
        await repository.index(record);
        const queued = queuedJobs(record, procedureOf(record));
        await deps.enqueue(queued);
        cases += 1;
        jobs += queued.length;
      }
      return { cases, jobs };
    },
  };
}

export type CaseService = ReturnType<typeof createCaseService>;
