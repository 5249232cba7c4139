import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { ok } from './assert';
import { extensionApi, waitFor } from './helpers';

describe('web extension: the chat panel', () => {
  before(async () => {
    await extensionApi();
  });

  it('opens in an editor (the chat is part of the web bundle)', async () => {
    await vscode.commands.executeCommand('flaskSentinel.openChatInEditor');
    const tab = await waitFor(
      () =>
        vscode.window.tabGroups.all
          .flatMap((group) => group.tabs)
          .find((t) => t.label === 'Flask Sentinel Agents' && t.input instanceof vscode.TabInputWebview),
      'the Flask Sentinel Agents panel',
    );
    ok(tab, 'the panel is open');
    await vscode.window.tabGroups.close(tab);
  });
});
