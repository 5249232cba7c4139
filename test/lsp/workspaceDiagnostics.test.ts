import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { SEARCH_APP_IN_DEBUG } from '../helpers/apps';
import { makeTree } from '../helpers/cli';
import { LspClient, fileUri } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';

interface FileReport {
  kind: 'full' | 'unchanged';
  uri: string;
  version: number | null;
  resultId?: string;
  items?: Diagnostic[];
}

const VULNERABLE = SEARCH_APP_IN_DEBUG;

const CLEAN = `def add(a, b):
    return a + b
`;

describe('language server: workspace diagnostics (files that are not open)', () => {
  let root: string;
  let client: LspClient;
  const pull = (previous: { uri: string; value: string }[] = [], token?: CancellationTokenSource) =>
    token
      ? client.connection.sendRequest<{ items: FileReport[] }>(
          'workspace/diagnostic',
          { previousResultIds: previous },
          token.token,
        )
      : client.connection.sendRequest<{ items: FileReport[] }>('workspace/diagnostic', {
          previousResultIds: previous,
        });
  const idsOf = (items: FileReport[]) =>
    items.flatMap((r) => (r.resultId ? [{ uri: r.uri, value: r.resultId }] : []));

  before(async () => {
    root = makeTree({
      'app.py': VULNERABLE,
      'util.py': CLEAN,
      'huge.py': `x = 1\n${'#'.repeat(40 * 1024)}\n`,
      '.venv/lib/site.py': VULNERABLE,
      'pyproject.toml': '[tool.flask-sentinel]\nmax-file-size-kb = 32\n',
    });
    client = await LspClient.start({ pull: true, workspaceFolders: [root] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reports every closed file once, then holds the request until a file changes', async () => {
    const first = await pull();
    const byFile = new Map(first.items.map((r) => [path.basename(decodeURIComponent(r.uri)), r]));
    assert.deepEqual([...byFile.keys()].sort(), ['app.py', 'huge.py', 'util.py']);
    const app = byFile.get('app.py');
    assert.equal(app?.kind, 'full');
    assert.equal(app?.version, null);
    assert.deepEqual(app?.items?.map((d) => d.code).sort(), ['FS101', 'FS201']);
    assert.deepEqual(byFile.get('util.py')?.items, []);
    assert.match(byFile.get('huge.py')?.items?.[0]?.message ?? '', /did not analyse this file: larger than/);

    // Nothing changed: the server keeps the request open instead of answering at once.
    let answered = false;
    const waiting = pull(idsOf(first.items)).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(answered, false, 'an unchanged workspace must not be answered at once');

    const appPath = path.join(root, 'app.py');
    fs.writeFileSync(appPath, VULNERABLE.replace('app.run(debug=True)', 'app.run()'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: fileUri(appPath), type: 2 }],
    });
    const second = await waiting;
    const changed = second.items.filter((r) => r.kind === 'full');
    assert.deepEqual(
      changed.map((r) => path.basename(decodeURIComponent(r.uri))),
      ['app.py'],
    );
    assert.deepEqual(changed[0]?.items?.map((d) => d.code).sort(), ['FS201']);
    assert.ok(second.items.filter((r) => r.kind === 'unchanged').length === 2);
  });

  it('leaves open documents to the document pull, and stops waiting when the client cancels', async () => {
    const uri = fileUri(path.join(root, 'util.py'));
    await client.open(uri, CLEAN);
    const report = await pull();
    assert.ok(!report.items.some((r) => r.uri === uri), 'an open file is not reported from disk');

    const source = new CancellationTokenSource();
    const waiting = pull(idsOf(report.items), source);
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.cancel();
    const cancelled = await waiting.catch((error: unknown) => error);
    assert.ok(cancelled !== undefined);
    await client.close(uri);
    // The server is still serving.
    assert.ok((await pull()).items.length >= 3);
  });
});
