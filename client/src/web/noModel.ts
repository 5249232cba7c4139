import type { AnthropicChatOptions, StreamRequest, StreamResult } from '../chat/anthropicChat';

/**
 * The web bundle's `chat/anthropicChat` (scripts/build.mjs puts it in its place): the web extension calls no
 * model (web/chatEntry.ts says why), so neither the Anthropic SDK nor its client is in the bundle. Never
 * constructed: without a key the chat session answers offline.
 */
export class AnthropicChat {
  constructor(_options: AnthropicChatOptions) {
    throw new Error('the web extension calls no model: its answers are the offline ones');
  }

  stream(_request: StreamRequest): Promise<StreamResult> {
    return Promise.reject(new Error('the web extension calls no model'));
  }
}
