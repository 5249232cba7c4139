import MarkdownIt from 'markdown-it';

/**
 * The fenced code blocks of an answer, in document order, parsed with the same markdown-it settings as the
 * webview (client/webview/markdown.ts): block `index` here is the webview's `fences[index]`. The host answers
 * `showDiff`/`applyFix` with `target: 'codeBlock'` from this list — from its own copy of the answer, never
 * from code the webview sends back.
 */

export interface CodeBlock {
  index: number;
  /** The info string's first word ("python"), or ''. */
  language: string;
  code: string;
}

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });

export function codeBlocks(answer: string): CodeBlock[] {
  return md
    .parse(answer, {})
    .filter((t) => t.type === 'fence')
    .map((t, index) => ({
      index,
      language: t.info.trim().split(/\s+/)[0] ?? '',
      code: t.content.replace(/\n$/, ''),
    }));
}
