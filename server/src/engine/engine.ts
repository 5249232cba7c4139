import type { Parser } from 'web-tree-sitter';
import { ALL_RULES } from '../rules/index';
import type { Rule } from '../rules/rule';
import { analyzeTree, buildModels, workspaceFactsOf } from './analyze';
import type { AnalyzeOptions } from './analyze';
import { NO_WORKSPACE_FACTS } from './context';
import type { WorkspaceFacts } from './context';
import { createPythonParser } from './parser';
import type { WasmFiles } from './parser';
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
    const tree = this.parser.parse(text);
    if (!tree)
      return { findings: [], notes: [{ kind: 'skipped', message: 'The parser gave up on this file.' }] };
    try {
      return analyzeTree(tree, text, path, this.rules, options);
    } finally {
      tree.delete();
    }
  }

  /** The facts a file contributes to its workspace (custom auth decorators, guarded blueprints). */
  factsOf(text: string, path: string): WorkspaceFacts {
    const tree = this.parser.parse(text);
    if (!tree) return NO_WORKSPACE_FACTS;
    try {
      return workspaceFactsOf(buildModels(tree, text, path));
    } finally {
      tree.delete();
    }
  }

  ruleById(id: string): Rule | undefined {
    return this.rules.find((r) => r.meta.id === id);
  }
}
