import type { Parser, Tree } from 'web-tree-sitter';
import { ALL_RULES } from '../rules/index';
import type { Rule } from '../rules/rule';
import { analyzeTree, buildModels, workspaceFactsOf } from './analyze';
import type { AnalyzeOptions } from './analyze';
import { NO_WORKSPACE_FACTS } from './context';
import type { WorkspaceFacts } from './context';
import { createPythonParser } from './parser';
import type { WasmFiles } from './parser';
import { recover } from './recovery';
import type { Recovered } from './recovery';
import type { FileAnalysis } from './types';

/**
 * The engine as the CLI, the language server and the chat use it: parse a text, analyse it, free the tree.
 * Callers that keep trees (the language server) use `analyzeTree` directly.
 */
export class Engine {
  private constructor(
    readonly parser: Parser,
    readonly rules: readonly Rule[],
  ) {}

  /** `wasm`: where the parser's `.wasm` files are (a web worker); node finds them on disk by default. */
  static async create(rules: readonly Rule[] = ALL_RULES, wasm?: WasmFiles): Promise<Engine> {
    return new Engine(await createPythonParser(wasm), rules);
  }

  analyzeText(text: string, path: string, options: AnalyzeOptions = {}): FileAnalysis {
    const analysed = this.parsed(text, (recovered, written) =>
      analyzeTree(recovered.tree, recovered.text, path, this.rules, {
        ...options,
        written: { tree: written, blanks: recovered.blanks },
      }),
    );
    return (
      analysed ?? {
        findings: [],
        notes: [{ kind: 'skipped', message: 'The parser gave up on this file.' }],
      }
    );
  }

  /** The facts a file contributes to its workspace (custom auth decorators, guarded blueprints). */
  factsOf(text: string, path: string): WorkspaceFacts {
    return (
      this.parsed(text, (recovered) => workspaceFactsOf(buildModels(recovered.tree, recovered.text, path))) ??
      NO_WORKSPACE_FACTS
    );
  }

  /**
   * Parses `text`, recovers from brackets that are never closed (`recovery.ts`) and hands both trees to
   * `use`; they are freed afterwards. Undefined when the parser gave up.
   */
  parsed<T>(text: string, use: (recovered: Recovered, written: Tree) => T): T | undefined {
    const written = this.parser.parse(text);
    if (!written) return undefined;
    let recovered: Recovered | undefined;
    try {
      recovered = recover(this.parser, written, text);
      return use(recovered, written);
    } finally {
      if (recovered && recovered.tree !== written) recovered.tree.delete();
      written.delete();
    }
  }

  ruleById(id: string): Rule | undefined {
    return this.rules.find((r) => r.meta.id === id);
  }
}
