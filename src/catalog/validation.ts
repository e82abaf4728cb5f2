import type { z } from 'zod';
import { AppError } from '../platform/errors.ts';

/** Input that failed its schema. The message lists paths and rules, never the submitted values. */
export class ValidationError extends AppError {
  constructor(
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
    status = 422,
  ) {
    super(status, 'validation_failed', issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '));
  }
}

/** Parses at the edge: a parsed value, or a ValidationError (422, or the status given) naming every problem (at most 20). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, status = 422): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    status,
  );
}

/**
 * A record's id and content from a form, checked together so the form lists every problem at once
 * (the id's under "id"): the parsed id, or a ValidationError naming all of them (at most 20).
 */
export function parseIdAndInput(
  idSchema: z.ZodType<string>,
  id: unknown,
  schema: z.ZodType,
  input: unknown,
): string {
  const idResult = idSchema.safeParse(id);
  const inputResult = schema.safeParse(input);
  if (idResult.success && inputResult.success) return idResult.data;
  const issues = [
    ...(idResult.error?.issues.map((issue) => ({ path: 'id', message: issue.message })) ?? []),
    ...(inputResult.error?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) ??
      []),
  ];
  throw new ValidationError(issues.slice(0, 20));
}
