import { callsIn, definitionsIn } from './segments';
import type { Method, Segment } from './segments';

/**
 * The functions and classes whose meaning an edit can change, by name. Statements that call one of them
 * may compute something else now: a call `x.name()` is looked up by name, in whatever class defines it.
 *
 * In general that is every definition in the edited statements. An edit inside one class that keeps its
 * methods (the same names, in the same order) changes less: the methods whose text it changed, the
 * methods of the class that call those (`self.fields()` in `to_dict`), and what the class defines outside
 * its methods (its own name, nested classes). A method's other behaviour is read from its own text: a
 * function body does not see the names of its class body. So typing in a model's field, or in one of its
 * methods, no longer re-analyses every caller of every `to_dict()` in the file. A class that holds a
 * syntax error is counted whole: its methods may not be where the tree says.
 */
export function definitionsAnEditChanges(before: readonly Segment[], after: readonly Segment[]): Set<string> {
  const old = before[0];
  const now = after[0];
  if (before.length !== 1 || after.length !== 1 || !old || !now || !sameMethods(old, now)) {
    return new Set([...before, ...after].flatMap((s) => [...s.definitions]));
  }
  const changed = new Set([...definitionsIn(outsideMethods(old)), ...definitionsIn(outsideMethods(now))]);
  const untouched: { definitions: Set<string>; calls: Set<string> }[] = [];
  old.methods.forEach((method, i) => {
    const was = textOf(old, method);
    const is = textOf(now, now.methods[i] as Method);
    if (was === is) {
      untouched.push({ definitions: definitionsIn(is), calls: callsIn(is) });
      return;
    }
    for (const name of definitionsIn(was)) changed.add(name);
    for (const name of definitionsIn(is)) changed.add(name);
  });
  // Methods that call a changed one, transitively.
  for (let grew = true; grew;) {
    grew = false;
    for (const method of untouched) {
      if (![...method.calls].some((call) => changed.has(call))) continue;
      for (const name of method.definitions) {
        if (!changed.has(name)) {
          changed.add(name);
          grew = true;
        }
      }
    }
  }
  return changed;
}

function sameMethods(old: Segment, now: Segment): boolean {
  return (
    old.kind === 'class' &&
    now.kind === 'class' &&
    !old.hasError &&
    !now.hasError &&
    old.methods.length === now.methods.length &&
    old.methods.every((method, i) => method.name === now.methods[i]?.name)
  );
}

function textOf(statement: Segment, method: Method): string {
  return statement.text.slice(method.start, method.end);
}

/** The class's text with its methods left out. */
function outsideMethods(statement: Segment): string {
  let out = '';
  let at = 0;
  for (const method of statement.methods) {
    out += `${statement.text.slice(at, method.start)}\n`;
    at = method.end;
  }
  return out + statement.text.slice(at);
}
