import type { FileModels } from './analyze';
import { DEFINES_FACTS } from './analyze';
import type { Segment } from './segments';

/**
 * What one top-level statement contributes beyond its own text, read from the models of an analysis:
 * the module-level names it binds, and whether it reaches into the rest of the file in ways names do not
 * show (Flask facts, config writes, module state changed from inside a function). A statement that
 * reaches out like that is always kept in a reduced file and is never re-analysed on its own.
 */
export interface SegmentFacts {
  defines: ReadonlySet<string>;
  reachesOut: boolean;
}

/**
 * Text that can change what other statements see: imports (the import table is file-wide), `global`,
 * apps and blueprints, config writes, request hooks, decorator factories, and the calls rules look for
 * anywhere in a file (CSRF `protect`/`exempt`, JWT verification, error handlers, traceback helpers,
 * environment defaults, extensions set up on an app, an xlsxwriter workbook that stores strings as text).
 */
export const REACHES_OUT =
  /\b(import|global|nonlocal|Flask|Blueprint|add_url_rule|register_blueprint|register_error_handler|errorhandler|init_app|jinja_env|jinja_options|protect|exempt|verify_jwt|process_jwt|after_request|after_app_request|after_this_request|teardown_request|teardown_appcontext|traceback|exc_info|setdefault|putenv|from_mapping|from_object|from_pyfile|from_envvar|from_file|from_prefixed_env|CSRFProtect|CORS|Talisman|JWTManager|LoginManager|user_loader|request_loader|secret_key|permanent_session_lifetime|session_cookie_name|strings_to_formulas)\b|config\s*\[[^\]\n]*\]\s*=[^=]|config\.\w+\s*=[^=]|config\.update\b|\.(debug|testing)\s*=[^=]/;

export function textReachesOut(text: string): boolean {
  return REACHES_OUT.test(text) || DEFINES_FACTS.test(text);
}

/**
 * Facts per segment. `segments[i]` starts at `starts[i]` in the analysed text and ends before `starts[i+1]`
 * (the models may be of a reduced file: `starts` are then offsets in it).
 */
export function segmentFactsOf(
  models: FileModels,
  segments: readonly Segment[],
  starts: readonly number[],
): SegmentFacts[] {
  const defines = segments.map(() => new Set<string>());
  const reachesOut = segments.map((segment) => textReachesOut(segment.text));
  const indexAt = (offset: number): number => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  };
  const { file, flask } = models;
  for (const [name, bindings] of file.module.bindings) {
    for (const binding of bindings) {
      const index = indexAt(binding.node.startIndex);
      defines[index]?.add(name);
      const kind = segments[index]?.kind;
      // Module state changed from inside a function or class (`global x`, `CACHE.append(...)`).
      if (binding.kind !== 'def' && (kind === 'function' || kind === 'class')) reachesOut[index] = true;
    }
  }
  for (const write of flask.configWrites) reachesOut[indexAt(write.node.startIndex)] = true;
  for (const route of flask.routes) {
    // `app.add_url_rule(..., view_func=view)` in another statement than the view.
    const at = indexAt(route.registration.startIndex);
    if (at !== indexAt(route.view.start)) reachesOut[at] = true;
  }
  segments.forEach((segment, i) => {
    if (segment.name && flask.authDecoratorDefinitions.has(segment.name)) reachesOut[i] = true;
  });
  return segments.map((_, i) => ({
    defines: defines[i] as Set<string>,
    reachesOut: reachesOut[i] as boolean,
  }));
}
