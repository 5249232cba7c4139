import * as z from 'zod';
import { FromWebviewSchema } from '../src/chat/protocol';
import type { FromWebview } from '../src/chat/protocol';

/** The object VS Code gives a webview script (once per page load). */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

const api = acquireVsCodeApi();

/**
 * Posts a message to the extension host, after checking it against the protocol (the host checks again).
 * Returns false, and posts nothing, if the message does not satisfy the schema.
 */
export function post(message: FromWebview): boolean {
  const parsed = FromWebviewSchema.safeParse(message);
  if (!parsed.success) {
    console.warn(
      `[flask-sentinel] not posting an invalid "${message.type}" message:`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
    return false;
  }
  api.postMessage(parsed.data);
  return true;
}

/** What the webview keeps across reloads (VS Code's per-webview state): the draft, the chosen persona, and
 * which context last filled in the draft. */
const SavedStateSchema = z.object({
  draft: z.string().max(20000).catch(''),
  personaId: z.string().max(100).optional().catch(undefined),
  /** The id of the last context whose suggested prompt filled the box (see Composer.setContext). */
  contextId: z.string().max(100).optional().catch(undefined),
});
export type SavedState = z.infer<typeof SavedStateSchema>;

let saved: SavedState = (() => {
  const parsed = SavedStateSchema.safeParse(api.getState());
  return parsed.success ? parsed.data : { draft: '' };
})();

export function savedState(): SavedState {
  return saved;
}

export function saveState(patch: Partial<SavedState>): void {
  saved = { ...saved, ...patch };
  api.setState(saved);
}
