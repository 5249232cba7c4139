/**
 * Flags text in the selection (or diff) that looks like it is addressed to a model rather than to Python:
 * "ignore previous instructions", fake role/system tags, tags that would close our own delimiters, and
 * invisible or direction-changing Unicode (Trojan Source, zero-width and tag-character smuggling).
 *
 * Nothing is removed: the code goes to the model as it is (inside `<untrusted_code>`, which the system
 * prompt says is data), the user sees a warning chip, and the model is told where the suspicious text is so
 * that it can report it. The model has no tools, so an injection can at worst distort an answer.
 */

export type InjectionKind = 'instruction' | 'role-tag' | 'delimiter' | 'hidden-character';

export interface InjectionFlag {
  kind: InjectionKind;
  /** For people: "text that tells a model to ignore its instructions". */
  label: string;
  /** 1-based line within the scanned text. */
  line: number;
  /** The matched text, shortened; hidden characters are shown as U+XXXX. */
  excerpt: string;
}

interface Pattern {
  kind: InjectionKind;
  label: string;
  re: RegExp;
}

const PATTERNS: readonly Pattern[] = [
  {
    kind: 'instruction',
    label: 'tells a model to ignore its instructions',
    re: /\b(?:ignore|disregard|forget|override|bypass)\b[^\n]{0,30}?\b(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|system|original|safety)\b[^\n]{0,20}?\b(?:instructions?|prompts?|messages?|rules|directions|guidelines|context)\b/gi,
  },
  {
    kind: 'instruction',
    label: 'tries to give a model a new role or instructions',
    re: /\b(?:you\s+are\s+now\b|from\s+now\s+on,?\s+you\b|new\s+(?:system\s+)?instructions?\s*:|act\s+as\s+(?:an?\s+)?(?:unrestricted|jailbroken|DAN\b)|developer\s+mode\s+(?:enabled|on)\b)/gi,
  },
  {
    kind: 'instruction',
    label: 'asks a model to reveal its prompt or secrets',
    re: /\b(?:reveal|print|show|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions|instructions|api\s+key)\b/gi,
  },
  {
    kind: 'instruction',
    label: 'tells an AI reviewer what to report',
    re: /\b(?:AI|LLM|assistant|model|reviewer|agent|claude|gpt|copilot)s?\b[^\n]{0,60}?\b(?:do\s+not|don't|never|must\s+not|should\s+not)\s+(?:report|flag|mention|warn|list)\b/gi,
  },
  {
    kind: 'instruction',
    label: 'tells an AI reviewer the code is safe',
    re: /\b(?:note|attention|important)\s+(?:to|for)\s+(?:the\s+)?(?:AI|LLM|assistant|model|reviewer|agent)s?\b/gi,
  },
  {
    kind: 'role-tag',
    label: 'looks like a chat role or system tag',
    re: /<\/?\s*(?:system|assistant|user|human|instructions?|system[-_]prompt|im_start|im_end)\s*>|<\|(?:system|user|assistant|im_start|im_end|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|(?:^|\n)\s*(?:Human|Assistant|System)\s*:\s/gi,
  },
  {
    kind: 'delimiter',
    label: "imitates the panel's own delimiters",
    re: /<\s*\/?\s*(?:untrusted_code|git_diff|linter_findings|project_context|question)\b[^>\n]{0,80}>?/gi,
  },
];

const HIDDEN: readonly { re: RegExp; label: string }[] = [
  {
    re: /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g,
    label: 'bidirectional control character (can make code read differently than it runs)',
  },
  { re: /[\u200B-\u200D\u2060\u180E\u00AD]|(?!^)\uFEFF/g, label: 'zero-width or invisible character' },
  { re: /[\u{E0000}-\u{E007F}]/gu, label: 'Unicode tag character (invisible text a model can read)' },
];

function codePoints(s: string): string {
  return [...s]
    .map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`)
    .join(' ');
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function shorten(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}…` : one;
}

/** Flags instruction-like text; at most one flag per kind and line, at most `max` flags. */
export function scanForInjection(text: string, max = 20): InjectionFlag[] {
  const flags: InjectionFlag[] = [];
  const seen = new Set<string>();
  const add = (flag: InjectionFlag): void => {
    const key = `${flag.kind}:${flag.line}:${flag.label}`;
    if (seen.has(key) || flags.length >= max) return;
    seen.add(key);
    flags.push(flag);
  };
  for (const p of PATTERNS) {
    for (const m of text.matchAll(p.re)) {
      const start = m.index + (m[0].startsWith('\n') ? 1 : 0);
      add({ kind: p.kind, label: p.label, line: lineOf(text, start), excerpt: shorten(m[0]) });
    }
  }
  for (const h of HIDDEN) {
    for (const m of text.matchAll(h.re)) {
      add({
        kind: 'hidden-character',
        label: h.label,
        line: lineOf(text, m.index),
        excerpt: codePoints(m[0]),
      });
    }
  }
  return flags.sort((a, b) => a.line - b.line);
}

/** "Instruction-like text: line 3 (tells a model to ignore its instructions), line 9 (U+202E …)". */
export function describeInjection(flags: readonly InjectionFlag[], lineOffset = 0): string {
  if (flags.length === 0) return '';
  const items = flags
    .slice(0, 8)
    .map(
      (f) =>
        `line ${f.line + lineOffset}: ${f.label}${f.kind === 'hidden-character' ? ` (${f.excerpt})` : ''}`,
    );
  const more = flags.length > 8 ? `; and ${flags.length - 8} more` : '';
  return `${items.join('; ')}${more}`;
}
