/**
 * The chat, bundled separately (dist/chat.js) and loaded on first use: the Anthropic SDK, zod schemas,
 * markdown-it and the persona loader are most of the extension's code, and a user who never opens the chat
 * should not pay for loading them at activation.
 */
export { ChatController } from './chatController';
export { ProposalDocuments, PROPOSAL_SCHEME } from './proposals';
export {
  askAboutFinding,
  askAboutSelection,
  clearApiKey,
  openChatInEditor,
  reviewDiff,
  reviewWithAll,
  setApiKey,
} from './chatCommands';
