import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { makeTree } from '../helpers/cli';
import { SERVER } from '../helpers/lspClient';

const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const missing = nvim.error || nvim.status !== 0 ? 'nvim is not installed (apt-get install -y neovim)' : false;

describe('Neovim as a client', () => {
  const root = makeTree({
    'app.py':
      'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/delete", methods=["POST"])\ndef delete():\n    return "ok"\n\n\napp.run(debug=True)\n',
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('shows the server diagnostics in a headless Neovim', { skip: missing }, () => {
    const out = path.join(root, 'diagnostics.json');
    const result = spawnSync(
      'timeout',
      [
        '60',
        'nvim',
        '--headless',
        '--clean',
        '-c',
        `luafile ${path.join(__dirname, 'nvim-diagnostics.lua')}`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, FS_SERVER: SERVER, FS_FILE: path.join(root, 'app.py'), FS_OUT: out },
        timeout: 70_000,
      },
    );
    assert.ok(
      fs.existsSync(out),
      `nvim wrote nothing (status ${String(result.status)}): ${result.stderr}${result.stdout}`,
    );
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      error?: string;
      shown?: number;
      diagnostics?: { code: string; line: number; character: number; source: string }[];
    };
    assert.equal(report.error, undefined);
    assert.deepEqual(
      report.diagnostics?.map((d) => [d.code, d.line, d.character, d.source]),
      [
        ['FS501', 5, 1, 'flask-sentinel'],
        ['FS101', 10, 8, 'flask-sentinel'],
      ],
    );
    assert.equal(report.shown, 2);
  });
});
