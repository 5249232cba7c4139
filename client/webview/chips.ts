import type { ContextChip } from '../src/chat/protocol';
import { h, srOnly } from './dom';

const KINDS: Record<ContextChip['kind'], { icon: string; name: string }> = {
  file: { icon: '▤', name: 'File' },
  range: { icon: '↕', name: 'Lines' },
  finding: { icon: '⚑', name: 'Finding' },
  diff: { icon: '±', name: 'Diff' },
  note: { icon: '⚠', name: 'Note' },
  redaction: { icon: '✱', name: 'Redacted' },
};

/** The context of a question (what was or will be sent), as a list of chips: icon + kind (for screen readers) + label. */
export function renderChips(chips: readonly ContextChip[], label: string): HTMLUListElement {
  const list = h('ul', { class: 'chips', attrs: { 'aria-label': label } });
  for (const chip of chips) {
    const kind = KINDS[chip.kind];
    list.append(
      h(
        'li',
        {
          class: `chip chip-${chip.kind}`,
          attrs: { title: chip.detail ? `${chip.label}\n${chip.detail}` : chip.label },
        },
        h('span', { class: 'chip-icon', text: kind.icon, attrs: { 'aria-hidden': 'true' } }),
        srOnly(`${kind.name}: `),
        h('span', { class: 'chip-label', text: chip.label }),
        chip.detail ? srOnly(` (${chip.detail})`) : null,
      ),
    );
  }
  return list;
}
