import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ancestors, topologicalOrder } from './dag.ts';
import {
  definitionSchema,
  type FieldDefinition,
  type ProcedureDefinition,
  type StepDefinition,
} from './definition.schema.ts';

/** Thrown at start when a definition is unusable: every problem, each as "file: path: problem". */
export class DefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid procedure definitions:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DefinitionError';
  }
}

/** A checked definition with what the engine needs precomputed. */
export interface Procedure {
  definition: ProcedureDefinition;
  /** Steps, dependencies first. */
  order: readonly StepDefinition[];
  fields: ReadonlyMap<string, FieldDefinition>;
  step(id: string): StepDefinition | undefined;
  /** Steps that come directly after `id`. */
  dependents(id: string): readonly StepDefinition[];
}

const formatPath = (segments: readonly PropertyKey[]) =>
  segments.reduce<string>(
    (out, segment) =>
      typeof segment === 'number'
        ? `${out}[${segment}]`
        : out
          ? `${out}.${String(segment)}`
          : String(segment),
    '',
  ) || '(root)';

const duplicates = (ids: readonly string[]) => ids.filter((id, index) => ids.indexOf(id) !== index);

/** Checks that need the whole definition: references between steps, fields and outputs, and the graph. */
function crossCheck(definition: ProcedureDefinition): string[] {
  const problems: string[] = [];
  const fields = definition.form.pages.flatMap((page) => page.fields);
  const steps = new Map(definition.steps.map((step) => [step.id, step]));
  for (const id of duplicates(definition.form.pages.map((p) => p.id)))
    problems.push(`form.pages: page "${id}" is declared twice`);
  for (const id of duplicates(fields.map((f) => f.id)))
    problems.push(`form: field "${id}" is declared twice`);
  for (const id of duplicates(definition.steps.map((s) => s.id)))
    problems.push(`steps: step "${id}" is declared twice`);

  definition.form.pages.forEach((page, p) =>
    page.fields.forEach((field, f) => {
      const at = `form.pages[${p}].fields[${f}] (${field.id})`;
      if (
        field.type === 'number' &&
        field.min !== undefined &&
        field.max !== undefined &&
        field.min > field.max
      )
        problems.push(`${at}: min is greater than max`);
      if ('minLength' in field && field.minLength !== undefined && field.minLength > field.maxLength)
        problems.push(`${at}: minLength is greater than maxLength`);
    }),
  );

  const fieldIds = new Set(fields.map((f) => f.id));
  const graph = new Map(definition.steps.map((step) => [step.id, step.after]));
  definition.steps.forEach((step, s) => {
    const at = `steps[${s}] (${step.id})`;
    step.after.forEach((before, i) => {
      if (before === step.id) problems.push(`${at}.after[${i}]: a step cannot come after itself`);
      else if (!steps.has(before)) problems.push(`${at}.after[${i}]: unknown step "${before}"`);
    });
    step.fields.forEach((field, i) => {
      if (!fieldIds.has(field)) problems.push(`${at}.fields[${i}]: unknown form field "${field}"`);
    });
  });
  if (problems.length > 0) return problems;

  const sorted = topologicalOrder(graph);
  if ('cycle' in sorted) return [`steps: the dependencies form a cycle: ${sorted.cycle.join(' → ')}`];

  definition.steps.forEach((step, s) => {
    const before = ancestors(graph, step.id);
    step.inputs.forEach((input, i) => {
      const [source = '', output = ''] = input.split('.');
      const at = `steps[${s}] (${step.id}).inputs[${i}]`;
      const from = steps.get(source);
      if (!from) problems.push(`${at}: unknown step "${source}"`);
      else if (!Object.hasOwn(from.outputs, output))
        problems.push(`${at}: step "${source}" has no output "${output}"`);
      else if (!before.has(source))
        problems.push(
          `${at}: "${source}" must be among the steps "${step.id}" comes after (directly or not)`,
        );
    });
  });
  definition.sameCaseWhen.forEach((field, i) => {
    if (!fieldIds.has(field)) problems.push(`sameCaseWhen[${i}]: unknown form field "${field}"`);
  });
  // Data minimisation: the form asks only for what some body receives.
  const sent = new Set(definition.steps.flatMap((step) => step.fields));
  for (const field of fieldIds) {
    if (!sent.has(field))
      problems.push(
        `form: field "${field}" is not sent to any step (remove it or add it to a step's fields)`,
      );
  }
  return problems;
}

/** Validates one parsed definition; the file name (without extension) must be its id. */
export function checkDefinition(
  raw: unknown,
  file: string,
): { procedure: Procedure } | { problems: string[] } {
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => `${file}: ${formatPath(issue.path)}: ${issue.message}`),
    };
  }
  const definition = parsed.data;
  const problems = crossCheck(definition).map((problem) => `${file}: ${problem}`);
  const expectedId = path.basename(file).replace(/\.ya?ml$/, '');
  if (definition.id !== expectedId)
    problems.push(`${file}: id: "${definition.id}" must match the file name "${expectedId}"`);
  if (problems.length > 0) return { problems };
  return { procedure: toProcedure(definition) };
}

function toProcedure(definition: ProcedureDefinition): Procedure {
  const steps = new Map(definition.steps.map((step) => [step.id, step]));
  const sorted = topologicalOrder(new Map(definition.steps.map((step) => [step.id, step.after])));
  const order = 'order' in sorted ? sorted.order.map((id) => steps.get(id) as StepDefinition) : [];
  return {
    definition,
    order,
    fields: new Map(definition.form.pages.flatMap((page) => page.fields.map((field) => [field.id, field]))),
    step: (id) => steps.get(id),
    dependents: (id) => definition.steps.filter((step) => step.after.includes(id)),
  };
}

/** The procedures the gateway offers, by id. */
export interface ProcedureCatalogue {
  get(id: string): Procedure | undefined;
  list(): readonly Procedure[];
}

export function procedureCatalogue(procedures: readonly Procedure[]): ProcedureCatalogue {
  const byId = new Map(procedures.map((p) => [p.definition.id, p]));
  return { get: (id) => byId.get(id), list: () => procedures };
}

/**
 * Reads and checks every config/procedures/*.yaml; throws a DefinitionError listing every problem of
 * every file, so a broken definition stops the start with a message that says where and what.
 */
export function loadDefinitions(dir: string): ProcedureCatalogue {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  const problems: string[] = [];
  const procedures: Procedure[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const checked = checkDefinition(raw, file);
    if ('problems' in checked) problems.push(...checked.problems);
    else procedures.push(checked.procedure);
  }
  if (problems.length > 0) throw new DefinitionError(problems);
  return procedureCatalogue(procedures);
}
