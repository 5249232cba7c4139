import * as vscode from 'vscode';
import type { RuleSummary } from '../../server/src/lsp/protocol';

/** The rule's page shipped with the extension (docs/rules), so it opens offline in the Markdown preview. */
export function localRuleDoc(extensionUri: vscode.Uri, rule: Pick<RuleSummary, 'id' | 'name'>): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'docs', 'rules', `${rule.id}-${rule.name}.md`);
}

export async function openRuleDocs(extensionUri: vscode.Uri, rule: RuleSummary): Promise<void> {
  const page = localRuleDoc(extensionUri, rule);
  try {
    await vscode.workspace.fs.stat(page);
    await vscode.commands.executeCommand('markdown.showPreview', page);
  } catch {
    // Not shipped (a development build without docs): the published page.
    await vscode.env.openExternal(vscode.Uri.parse(rule.docsUrl));
  }
}

/** A quick pick of every rule (id, name, severity, CWE, summary); the chosen rule's docs open. */
export async function pickRule(rules: RuleSummary[], placeHolder: string): Promise<RuleSummary | undefined> {
  const items = rules.map((rule) => ({
    label: `${rule.id} ${rule.name}`,
    description: `${rule.severity} · ${rule.cwe.join(', ')}${rule.hasFix ? ' · fix' : ''}`,
    detail: rule.title,
    rule,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.rule;
}
