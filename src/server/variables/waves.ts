import { own } from '../../shared/record.js';
import { SHARED, lookup, parseReferences, serviceNames, type ResolveInput, type VariableRef } from './reference-syntax.js';

// Deploy order for a batch (Railway: "a service that references another waits until that
// service finishes deploying; the dependency is transitive; cycles are broken: those
// services deploy in parallel"). Services are grouped into waves: wave n holds the services
// whose references all point into earlier waves; the members of a cycle share a wave.
// Unknown references are ignored here (checkReferences reports them).

/** Which other services each service references, directly or through shared variables. */
export function serviceDependencies(input: ResolveInput): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  for (const service of serviceNames(input)) {
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (at: VariableRef, raw: string): void => {
      for (const ref of parseReferences(raw)) {
        const target = lookup(input, at, ref);
        if (target.kind === 'missing') continue;
        if (target.scope !== SHARED && target.scope !== service) {
          found.add(target.scope);
          continue;
        }
        const id = `${target.scope === SHARED ? '' : 's:'}${target.key}`;
        if (target.kind === 'variable' && !seen.has(id)) {
          seen.add(id);
          walk(target, target.raw);
        }
      }
    };
    for (const [key, raw] of Object.entries(own(input.services, service) ?? {})) walk({ scope: service, key }, raw);
    deps.set(service, found);
  }
  return deps;
}

/**
 * Services in deploy waves: each wave after the services it references (and, through `extra`,
 * the services it names in dependsOn); a cycle shares a wave.
 */
export function dependencyOrder(input: ResolveInput, extra?: ReadonlyMap<string, readonly string[]>): string[][] {
  const deps = serviceDependencies(input);
  for (const [service, more] of extra ?? []) {
    const set = deps.get(service);
    if (set) for (const dep of more) if (dep !== service && deps.has(dep)) set.add(dep);
  }
  const components = stronglyConnected(deps);
  const componentOf = new Map<string, number>();
  components.forEach((members, i) => members.forEach((m) => componentOf.set(m, i)));

  const waveOf = new Map<number, number>();
  // Tarjan emits components dependencies-first, so each component's dependencies already have a wave.
  components.forEach((members, i) => {
    let wave = 0;
    for (const member of members) {
      for (const dep of deps.get(member) ?? []) {
        const c = componentOf.get(dep)!;
        if (c !== i) wave = Math.max(wave, waveOf.get(c)! + 1);
      }
    }
    waveOf.set(i, wave);
  });

  const waves: string[][] = [];
  components.forEach((members, i) => {
    const wave = waveOf.get(i)!;
    (waves[wave] ??= []).push(...members);
  });
  return waves.map((w) => w.sort());
}

/** Tarjan's algorithm; components come out in reverse topological order (dependencies first). */
function stronglyConnected(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}
