import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { stringValue } from '../../server/src/engine/syntax';
import { engine } from '../helpers/engine';
import { eachNodeOfType, shortcutSources, withTrees } from '../helpers/trees';

/** A string's value from its parts, the way `stringValue` reads it when the text alone will not do. */
function valueFromParts(node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === 'concatenated_string') {
    let value = '';
    for (const part of node.namedChildren) {
      const text = valueFromParts(part);
      if (text === undefined) return undefined;
      value += text;
    }
    return value;
  }
  if (node.type !== 'string') return undefined;
  let value = '';
  for (const child of node.namedChildren) {
    if (child?.type === 'interpolation') return undefined;
    if (child?.type === 'string_content' || child?.type === 'escape_sequence') value += child.text;
  }
  return value;
}

const EDGES = [
  `a = ""\nb = ''\nc = """"""\nd = ''''''\ne = "x"\nf = r"\\d+"\ng = b'\\x00'\nh = u"é"\ni = "a\\"b"\n`,
  `j = """multi\nline "quoted" \\""" end"""\nk = '''it''s'''\nl = Rb"raw"\nm = "a" 'b' """c"""\n`,
  `n = f"{x}"\no = f"plain"\np = F'{{literal}}'\nq = rf"{y}\\n"\nr = t"{z}"\ns = "tab\\tnew\\nline"\n`,
  `t = "line\\\ncontinued"\nu = "unterminated\nv = 'also \\'\nw = """never closed\n`,
  `x = "ends with backslash \\\\"\ny = '\\\\'\nz = "\\\\\\""\n`,
];

describe('stringValue', () => {
  it('gives what the string parts give, for every string of fixtures, examples and edge cases', async () => {
    const compared = eachNodeOfType(
      await engine(),
      shortcutSources(7, EDGES),
      ['string', 'concatenated_string'],
      (node) => {
        assert.equal(stringValue(node), valueFromParts(node), `${node.type} ${JSON.stringify(node.text)}`);
      },
    );
    assert.ok(compared > 5_000, `only ${compared} strings`);
  });

  it('keeps escapes as written and joins implicit concatenation', async () => {
    withTrees(await engine(), [`x = ("a\\\\n" 'b' """c""")\ny = r"\\d"\nz = f"{v}"\n`], (tree) => {
      const values = tree.rootNode
        .descendantsOfType(['concatenated_string', 'string'])
        .filter((node) => node?.parent?.type !== 'concatenated_string')
        .map((node) => stringValue(node));
      assert.deepEqual(values, ['a\\\\nbc', '\\d', undefined]);
    });
  });
});
