import type { Node } from 'web-tree-sitter';
import { dottedName } from './syntax';

/**
 * Maps local names to the qualified names they were imported as, so that `from flask import request as req`
 * makes `req.args` read as `flask.request.args`, and `import subprocess as sp` makes `sp.run` read as
 * `subprocess.run`. Imports anywhere in the file count (function-level imports are common in Flask factories).
 */
export class ImportTable {
  private readonly aliases = new Map<string, string>();
  private readonly modules = new Set<string>();
  /** Answers of `imports()`: rules ask the same few modules of every file, some once per call site. */
  private readonly importsAnswers = new Map<string, boolean>();

  add(statement: Node): void {
    this.importsAnswers.clear();
    if (statement.type === 'import_statement') {
      for (const child of statement.namedChildren) {
        if (!child) continue;
        if (child.type === 'dotted_name') {
          // `import os.path` binds `os`; `os.path.join` then resolves to itself.
          const full = child.text;
          const head = full.split('.')[0] ?? full;
          this.modules.add(full);
          if (!this.aliases.has(head)) this.aliases.set(head, head);
        } else if (child.type === 'aliased_import') {
          const name = child.childForFieldName('name')?.text;
          const alias = child.childForFieldName('alias')?.text;
          if (name && alias) {
            this.aliases.set(alias, name);
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
        this.aliases.set(child.text, `${module}.${child.text}`);
      } else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text;
        const alias = child.childForFieldName('alias')?.text;
        if (name && alias) this.aliases.set(alias, `${module}.${name}`);
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

  /** Qualified name of an identifier/attribute node, or null for other expressions. */
  resolve(node: Node | null): string | null {
    const dotted = dottedName(node);
    return dotted === null ? null : this.qualify(dotted);
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
