import { isClassViewMethod } from './flask';
import { callsIn, definitionsIn } from './segments';
import type { Method, Segment } from './segments';

/** A method of the edited class that the edit left as it was: what it defines and calls. */
interface MethodWords {
  definitions: Set<string>;
  calls: Set<string>;
}

/** What an edit changes of the functions and classes it touches. */
export interface EditedDefinitions {
  /**
   * The functions and classes whose meaning the edit can change, by name. Statements that call one of
   * them may compute something else now: a call `x.name()` is looked up by name, in whatever class
   * defines it.
   */
  changed: Set<string>;
  /**
   * The class the edit went into, when what its name stands for is the same: only method bodies changed,
   * and none that runs without being named. Statements that merely mention the class need no new look.
   */
  classKeptMeaning: string | null;
}

/**
 * In general every definition in the edited statements changes. An edit inside one class that keeps its
 * methods (the same names, in the same order) changes less: the methods whose text it changed, the
 * methods of the class that call those (`self.fields()` in `to_dict`), and what the class defines outside
 * its methods (its own name, nested classes) when that text changed. A method's other behaviour is read
 * from its own text: a function body does not see the names of its class body. So typing in a model's
 * field, or in one of its methods, no longer re-analyses every caller of every `to_dict()` in the file.
 *
 * The class's own name changes meaning with its methods only through the methods that run without being
 * named: a class-based view's `get`/`post`/`dispatch_request` (its routes are registered wherever the
 * class is, and what they report reads those bodies) and dunder methods (`__init__` runs on `Form()`).
 * Typing in a form's `validate_name` leaves the views that build the form alone.
 *
 * A class that holds a syntax error is counted whole: its methods may not be where the tree says.
 */
export function definitionsAnEditChanges(
  before: readonly Segment[],
  after: readonly Segment[],
): EditedDefinitions {
  const old = before[0];
  const now = after[0];
  if (before.length !== 1 || after.length !== 1 || !old || !now || !sameMethods(old, now)) {
    return {
      changed: new Set([...before, ...after].flatMap((s) => [...s.definitions])),
      classKeptMeaning: null,
    };
  }
  const untouched: MethodWords[] = [];
  const changed = new Set<string>();
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
  withCallers(changed, untouched);
  const outside = [outsideMethods(old), outsideMethods(now)];
  const runsUnnamed = now.methods.some(
    (method) => changed.has(method.name) && runsWithoutBeingNamed(method.name),
  );
  if (outside[0] === outside[1] && !runsUnnamed) return { changed, classKeptMeaning: now.name };
  // The class's name (and what else its body defines outside the methods) stands for something else now.
  for (const text of outside) for (const name of definitionsIn(text)) changed.add(name);
  withCallers(changed, untouched);
  return { changed, classKeptMeaning: null };
}

function runsWithoutBeingNamed(method: string): boolean {
  return isClassViewMethod(method) || /^__\w+__$/.test(method);
}

/** Adds the untouched methods that call a changed name, transitively. */
function withCallers(changed: Set<string>, untouched: readonly MethodWords[]): void {
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
