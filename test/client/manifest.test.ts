import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  ChatSettingsSchema,
  SettingsSchema,
  vscodeConfigurationProperties,
} from '../../server/src/lsp/settingsSchema';

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  browser: string;
  icon: string;
  activationEvents: string[];
  capabilities: Record<string, { supported: unknown; description?: string }>;
  contributes: {
    commands: { command: string; title: string }[];
    configuration: { properties: Record<string, unknown> };
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    views: Record<string, { id: string }[]>;
  };
};
const extensionSource = fs
  .readdirSync(path.join(root, 'client', 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => fs.readFileSync(path.join(root, 'client', 'src', f), 'utf8'))
  .join('\n');

describe('extension manifest', () => {
  it('contributes exactly the settings of the server schema (run npm run gen:settings after changing it)', () => {
    assert.deepEqual(manifest.contributes.configuration.properties, vscodeConfigurationProperties());
    const keys = Object.keys(manifest.contributes.configuration.properties).map((k) =>
      k.replace('flaskSentinel.', ''),
    );
    assert.deepEqual(
      keys.sort(),
      [
        ...Object.keys(SettingsSchema.shape),
        ...Object.keys(ChatSettingsSchema.shape).map((k) => `chat.${k}`),
      ].sort(),
    );
    // A workspace must not be able to send the API key elsewhere.
    assert.equal(
      (manifest.contributes.configuration.properties['flaskSentinel.chat.baseURL'] as { scope?: string })
        .scope,
      'application',
    );
    for (const [key, property] of Object.entries(manifest.contributes.configuration.properties)) {
      const p = property as { description?: string; markdownDescription?: string };
      assert.ok(p.description ?? p.markdownDescription, `${key} has no description`);
    }
  });

  it('registers every contributed command, and contributes every registered one', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    const registered = [...extensionSource.matchAll(/command\('(flaskSentinel\.\w+)'/g)]
      .map((m) => m[1])
      .sort();
    assert.deepEqual(registered, contributed);
    for (const c of manifest.contributes.commands) assert.ok(c.title.length > 0);
  });

  it('activates on Python only, declares its trust and virtual-workspace limits, and ships its icons', () => {
    assert.deepEqual(manifest.activationEvents, ['onLanguage:python', 'workspaceContains:**/*.py']);
    assert.equal(manifest.capabilities.untrustedWorkspaces?.supported, 'limited');
    assert.match(manifest.capabilities.untrustedWorkspaces?.description ?? '', /not loaded/);
    // vscode.dev / github.dev: the web extension works there, without pyproject.toml, git or model calls.
    assert.equal(manifest.capabilities.virtualWorkspaces?.supported, 'limited');
    assert.match(manifest.capabilities.virtualWorkspaces?.description ?? '', /pyproject\.toml.*git/s);
    const png = fs.readFileSync(path.join(root, manifest.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    const bar = manifest.contributes.viewsContainers.activitybar[0];
    assert.ok(bar);
    const svg = fs.readFileSync(path.join(root, bar.icon), 'utf8');
    assert.match(svg, /currentColor/, 'the activity-bar icon must follow the theme colour');
    assert.deepEqual(
      manifest.contributes.views[bar.id]?.map((v) => v.id),
      ['flaskSentinel.routes', 'flaskSentinel.chat'],
    );
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.browser, './dist/web/extension.js');
  });

  it('ships the desktop and the web bundles with their wasm, and leaves the source maps out', () => {
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
    for (const shipped of [
      'dist/extension.js',
      'dist/server.js',
      'dist/*.wasm',
      'dist/web/*.js',
      'dist/web/*.wasm',
    ])
      assert.match(ignore, new RegExp(`^!${shipped.replace(/[.*]/g, (c) => `\\${c}`)}$`, 'm'), shipped);
    assert.doesNotMatch(ignore, /\.map/);
  });
});
