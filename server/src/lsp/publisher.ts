import type { Connection } from 'vscode-languageserver';
import type { Analyzer } from './analysis';

/**
 * Push diagnostics for clients without pull support: a short debounce per document, and a result is sent only
 * while its version is still the document's current one.
 */
export class PushPublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly published = new Map<string, string>();

  constructor(
    private readonly connection: Connection,
    private readonly analyzer: Analyzer,
    private readonly delayMs = 150,
  ) {}

  schedule(uri: string, delayMs = this.delayMs): void {
    clearTimeout(this.timers.get(uri));
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.publish(uri);
      }, delayMs),
    );
  }

  private async publish(uri: string): Promise<void> {
    try {
      const result = await this.analyzer.analyze(uri);
      if (!result || !this.analyzer.isCurrent(result)) return; // stale: a newer version is on its way
      const key = `${result.version}@${result.key}`;
      if (this.published.get(uri) === key) return;
      this.published.set(uri, key);
      await this.connection.sendDiagnostics({
        uri,
        version: result.version,
        diagnostics: result.diagnostics,
      });
    } catch (error) {
      this.connection.console.error(`Flask Sentinel: publishing diagnostics failed: ${String(error)}`);
    }
  }

  clear(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.published.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}
