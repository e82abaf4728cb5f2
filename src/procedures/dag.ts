/** A directed graph of step ids: each id maps to the ids it comes after. */
export type Dependencies = ReadonlyMap<string, readonly string[]>;

/**
 * A topological order of the steps (dependencies first, otherwise in the given order), or the first cycle
 * found, as the path that closes it (e.g. ["a", "b", "a"]). Unknown dependencies must be checked before.
 */
export function topologicalOrder(graph: Dependencies): { order: string[] } | { cycle: string[] } {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const path: string[] = [];

  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const before of graph.get(id) ?? []) {
      const cycle = visit(before);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    order.push(id);
    return undefined;
  };

  for (const id of graph.keys()) {
    const cycle = visit(id);
    if (cycle) return { cycle };
  }
  return { order };
}

/** Every step `id` transitively comes after (its ancestors). */
export function ancestors(graph: Dependencies, id: string): Set<string> {
  const found = new Set<string>();
  const pending = [...(graph.get(id) ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (found.has(next)) continue;
    found.add(next);
    pending.push(...(graph.get(next) ?? []));
  }
  return found;
}
