import type { Node } from 'web-tree-sitter';
import { dottedName } from './syntax';

/** Where a function-level (or class-level) import binds its names: that definition's body. */
export interface ImportScope {
  start: number;
  end: number;
}

/**
 * Maps local names to the qualified names they were imported as, so that `from flask import request as req`
 * makes `req.args` read as `flask.request.args`, and `import subprocess as sp` makes `sp.run` read as
 * `subprocess.run`. Imports anywhere in the file count (function-level imports are common in Flask
 * factories), but a name a function imports for itself means that inside the function only, when the
 * module binds it too: `from string import Template` in one helper does not make the module's Mako
 * `Template` a string template everywhere else (`resolve` knows where a node is; `qualify` of bare text
 * takes the module's binding first).
 */
export class ImportTable {
  /** Every binding, the module's first: what a name means where nothing closer binds it. */
  private readonly aliases = new Map<string, string>();
  /** Module-level bindings. */
  private readonly moduleAliases = new Map<string, string>();
  /** Function-level and class-level bindings, by the definition that holds them. */
  private readonly scoped: { scope: ImportScope; aliases: Map<string, string> }[] = [];
  private readonly modules = new Set<string>();
  /** Answers of `imports()`: rules ask the same few modules of every file, some once per call site. */
  private readonly importsAnswers = new Map<string, boolean>();

  add(statement: Node, scope: ImportScope | null = null): void {
    this.importsAnswers.clear();
    let local: Map<string, string> | undefined;
    const bind = (name: string, target: string) => {
      if (scope) {
        local ??= this.scopedAliasesOf(scope);
        local.set(name, target);
        if (!this.moduleAliases.has(name)) this.aliases.set(name, target);
      } else {
        this.moduleAliases.set(name, target);
        this.aliases.set(name, target);
      }
    };
    if (statement.type === 'import_statement') {
      for (const child of statement.namedChildren) {
        if (!child) continue;
        if (child.type === 'dotted_name') {
          // `import os.path` binds `os`; `os.path.join` then resolves to itself.
          const full = child.text;
          const head = full.split('.')[0] ?? full;
          this.modules.add(full);
          const bound = scope
            ? (local ??= this.scopedAliasesOf(scope)).has(head)
            : this.moduleAliases.has(head);
          if (!bound) bind(head, head);
        } else if (child.type === 'aliased_import') {
          const name = child.childForFieldName('name')?.text;
          const alias = child.childForFieldName('alias')?.text;
          if (name && alias) {
            bind(alias, name);
            this.modules.add(name);
          }
        }
      }
      return;
    }
    if (statement.type !== 'import_from_statement') return;
    const moduleNode = statement.childForFieldName('module_name');
    const module = moduleNode?.text ?? '';
    this.modules.add(module);
    for (const child of statement.namedChildren) {
      if (!child || child === moduleNode || child.id === moduleNode?.id) continue;
      if (child.type === 'dotted_name') {
        bind(child.text, `${module}.${child.text}`);
      } else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text;
        const alias = child.childForFieldName('alias')?.text;
        if (name && alias) bind(alias, `${module}.${name}`);
      }
    }
  }

  /** Qualified form of a dotted expression text: the first segment is replaced by what it was imported as. */
  qualify(dotted: string): string {
    const dot = dotted.indexOf('.');
    const head = dot < 0 ? dotted : dotted.slice(0, dot);
    const target = this.aliases.get(head);
    if (target === undefined) return dotted;
    return dot < 0 ? target : target + dotted.slice(dot);
  }

  /** Whether a bare name is bound by an import (`os`, `req` in `from flask import request as req`). */
  isImported(name: string): boolean {
    return this.aliases.has(name);
  }

  /**
   * Qualified name of an identifier/attribute node, or null for other expressions. An import of the
   * innermost definition around the node that imports its first name wins.
   */
  resolve(node: Node | null): string | null {
    const dotted = dottedName(node);
    if (dotted === null) return null;
    return this.scoped.length > 0 && node ? this.qualifyAt(dotted, node.startIndex) : this.qualify(dotted);
  }

  /** `qualify` for text found at offset `at`; null `at` (module-level code): the module's bindings. */
  qualifyAt(dotted: string, at: number | null): string {
    if (at !== null && this.scoped.length > 0) {
      const dot = dotted.indexOf('.');
      const head = dot < 0 ? dotted : dotted.slice(0, dot);
      const target = this.scopedTarget(head, at);
      if (target !== undefined) return dot < 0 ? target : target + dotted.slice(dot);
    }
    return this.qualify(dotted);
  }

  private scopedTarget(head: string, at: number): string | undefined {
    let best: { scope: ImportScope; aliases: Map<string, string> } | undefined;
    for (const entry of this.scoped) {
      if (at < entry.scope.start || at >= entry.scope.end || !entry.aliases.has(head)) continue;
      if (!best || entry.scope.start >= best.scope.start) best = entry;
    }
    return best?.aliases.get(head);
  }

  private scopedAliasesOf(scope: ImportScope): Map<string, string> {
    const found = this.scoped.find((e) => e.scope.start === scope.start && e.scope.end === scope.end);
    if (found) return found.aliases;
    const aliases = new Map<string, string>();
    this.scoped.push({ scope, aliases });
    return aliases;
  }

  /** Whether `module` (or a submodule of it) is imported in any form. */
  imports(module: string): boolean {
    let answer = this.importsAnswers.get(module);
    if (answer === undefined) {
      answer = this.findImport(module);
      this.importsAnswers.set(module, answer);
    }
    return answer;
  }

  private findImport(module: string): boolean {
    const prefix = `${module}.`;
    for (const name of this.modules) {
      if (name === module || name.startsWith(prefix)) return true;
    }
    for (const target of this.aliases.values()) {
      if (target === module || target.startsWith(prefix)) return true;
    }
    return false;
  }

  isImportedName(local: string): boolean {
    return this.aliases.has(local);
  }
}
