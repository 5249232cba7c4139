import type { FileModels } from '../engine/analyze';
import { mergeFacts, workspaceFactsOf } from '../engine/analyze';
import { RuleContext } from '../engine/context';
import type { Focus, WorkspaceFacts } from '../engine/context';
import type { Route } from '../engine/flask';
import { LineIndex } from '../engine/positions';
import { dottedName } from '../engine/syntax';
import { TaintAnalyzer } from '../engine/taint';
import { checksCallerInBody, isAuthDecorator, isGuardedByHook } from '../rules/support/auth';

export type { RouteInfo } from './protocol';
import type { RouteInfo } from './protocol';

/**
 * Route protection with the same rules FS501 uses (`rules/support/auth.ts`), also saying what protects the
 * route: the first auth decorator, a `before_request` hook, or a check in the view body.
 */
export function routesOf(
  models: FileModels,
  uri: string,
  workspace: WorkspaceFacts,
  authDecorators: readonly string[],
  /** Only routes registered here are wanted (a re-analysis keeps only those). */
  focus?: Focus,
): RouteInfo[] {
  const { file, flask } = models;
  if (flask.routes.length === 0) return [];
  const lines = new LineIndex(file.text);
  const facts = mergeFacts([workspace, workspaceFactsOf(models)]);
  const context = new RuleContext(
    file,
    flask,
    new TaintAnalyzer(file, () => new Map()),
    facts,
    { authDecorators },
    lines,
    () => undefined,
    focus ?? null,
  );
  // In document order, as a re-analysis keeps them (the model lists class views' routes last).
  return flask.routes
    .filter((route) => context.inFocus(route.registration))
    .sort((a, b) => a.registration.startIndex - b.registration.startIndex)
    .map((route) => ({
      uri,
      methods: [...route.methods],
      rule: route.rule,
      view: route.classView ? `${route.classView.name}.${route.view.name}` : route.view.name,
      owner: route.owner,
      range: lines.rangeOf(route.registration.startIndex, route.registration.endIndex),
      auth: protection(context, route),
    }));
}

function protection(context: RuleContext, route: Route): RouteInfo['auth'] {
  for (const decorator of route.decorators) {
    if (!isAuthDecorator(context, decorator)) continue;
    const target = decorator.type === 'call' ? decorator.childForFieldName('function') : decorator;
    return { protected: true, by: dottedName(target) ?? decorator.text };
  }
  if (isGuardedByHook(context, route)) return { protected: true, by: 'before_request' };
  if (checksCallerInBody(context, route.view)) return { protected: true, by: 'checked in view' };
  return { protected: false, by: null };
}

/** The code lens title: "POST · no auth", "GET · login_required". */
export function lensTitle(route: RouteInfo): string {
  return `${route.methods.join(', ')} · ${route.auth.protected ? route.auth.by : 'no auth'}`;
}
