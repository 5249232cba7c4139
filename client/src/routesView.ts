import * as path from 'node:path';
import * as vscode from 'vscode';
import { ROUTES_REQUEST } from '../../server/src/lsp/protocol';
import type { RouteInfo } from '../../server/src/lsp/protocol';

type Node = { kind: 'file'; uri: string; routes: RouteInfo[] } | { kind: 'route'; route: RouteInfo };

/** Methods that change state: an unprotected one is the case FS501 reports. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The workspace's routes, grouped by file, each with its methods and what protects it (from the server's
 * `flaskSentinel/routes` request, which uses FS501's own logic). Selecting a route opens its decorator.
 */
export class RoutesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private routes: RouteInfo[] = [];
  private loading: Promise<RouteInfo[]> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly request: () => Promise<RouteInfo[] | undefined>) {}

  /** Re-reads the routes (debounced: saves and diagnostics come in bursts). */
  refreshSoon(delayMs = 500): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  async refresh(): Promise<RouteInfo[]> {
    this.loading = this.request().then((routes) => routes ?? this.routes);
    this.routes = await this.loading;
    this.changed.fire(undefined);
    return this.routes;
  }

  /** The routes as last loaded (waits for a load in progress). */
  async current(): Promise<RouteInfo[]> {
    return this.loading ? await this.loading : this.refresh();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'file') {
      const uri = vscode.Uri.parse(node.uri);
      const item = new vscode.TreeItem(path.basename(uri.fsPath), vscode.TreeItemCollapsibleState.Expanded);
      item.resourceUri = uri;
      item.description = vscode.workspace.asRelativePath(uri, false);
      const open = node.routes.filter((r) => !r.auth.protected).length;
      item.tooltip = `${node.routes.length} routes, ${open} without authentication`;
      return item;
    }
    const { route } = node;
    const methods = route.methods.join(', ');
    const item = new vscode.TreeItem(
      `${methods} ${route.rule ?? '(dynamic rule)'}`,
      vscode.TreeItemCollapsibleState.None,
    );
    const risky = !route.auth.protected && route.methods.some((m) => STATE_CHANGING.has(m));
    item.description = `${route.view} · ${route.auth.by ?? 'no auth'}`;
    item.iconPath = new vscode.ThemeIcon(
      route.auth.protected ? 'lock' : risky ? 'warning' : 'unlock',
      risky ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
    );
    item.tooltip = new vscode.MarkdownString(
      `**${methods} ${route.rule ?? ''}** → \`${route.view}\` on \`${route.owner}\`\n\n` +
        (route.auth.protected ? `Protected by \`${route.auth.by ?? 'a check'}\`` : 'No authentication found'),
    );
    item.contextValue = route.auth.protected ? 'route.protected' : 'route.open';
    const start = new vscode.Position(route.range.start.line, route.range.start.character);
    item.command = {
      command: 'vscode.open',
      title: 'Open route',
      arguments: [vscode.Uri.parse(route.uri), { selection: new vscode.Range(start, start) }],
    };
    return item;
  }

  getChildren(node?: Node): Node[] {
    if (node?.kind === 'route') return [];
    if (node?.kind === 'file') return node.routes.map((route) => ({ kind: 'route', route }));
    const byFile = new Map<string, RouteInfo[]>();
    for (const route of this.routes) {
      const list = byFile.get(route.uri) ?? [];
      list.push(route);
      byFile.set(route.uri, list);
    }
    return [...byFile.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([uri, routes]) => ({ kind: 'file', uri, routes }));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
  }
}

export { ROUTES_REQUEST };
