import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits, LineIndex } from '../../server/src/engine/positions';
import type { Finding } from '../../server/src/engine/types';
import { ALL_RULES } from '../../server/src/rules/index';
import { parseAnnotations } from '../helpers/annotations';
import { engine } from '../helpers/engine';

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'rules');

export function fixturePath(id: string, name: string): string {
  return path.join(FIXTURE_DIR, `${id}-${name}.py`);
}

const lineOf = (f: Finding) => f.range.start.line;

describe('rule fixtures', () => {
  for (const rule of ALL_RULES) {
    const { id, name } = rule.meta;
    const file = fixturePath(id, name);
    if (!fs.existsSync(file)) continue; // the meta test reports the missing fixture

    it(`${id} ${name}: fires exactly on its ruleid lines`, async () => {
      const text = fs.readFileSync(file, 'utf8');
      const annotations = parseAnnotations(text).filter((a) => a.ruleId === id);
      const { findings } = (await engine()).analyzeText(text, file, { select: [id] });
      const expected = new Set(annotations.filter((a) => a.kind === 'ruleid').map((a) => a.line));
      const tolerated = new Set(annotations.filter((a) => a.kind === 'todook').map((a) => a.line));
      const found = new Set(findings.map(lineOf));
      const missed = [...expected].filter((line) => !found.has(line)).map((l) => l + 1);
      const unexpected = findings
        .filter((f) => !expected.has(lineOf(f)) && !tolerated.has(lineOf(f)))
        .map((f) => `${lineOf(f) + 1}: ${f.message}`);
      assert.deepEqual(
        { missed, unexpected },
        { missed: [], unexpected: [] },
        `fixture ${path.basename(file)}`,
      );
    });

    it(`${id} ${name}: every fix removes its finding and keeps the file parsing`, async () => {
      const text = fs.readFileSync(file, 'utf8');
      const sentinel = await engine();
      const { findings } = sentinel.analyzeText(text, file, { select: [id] });
      const lines = new LineIndex(text);
      const errorsBefore = countErrors(sentinel, text);
      for (const finding of findings.filter((f) => f.fix)) {
        const edits = (finding.fix?.edits ?? []).map((e) => ({
          start: lines.offsetAt(e.range.start),
          end: lines.offsetAt(e.range.end),
          newText: e.newText,
        }));
        const fixed = applyEdits(text, edits);
        assert.notEqual(fixed, text, `fix for line ${lineOf(finding) + 1} changes nothing`);
        const after = sentinel.analyzeText(fixed, file, { select: [id] }).findings;
        assert.ok(
          after.length < findings.length,
          `fix "${finding.fix?.title}" for line ${lineOf(finding) + 1} leaves the finding:\n${fixed
            .split('\n')
            .slice(Math.max(0, lineOf(finding) - 1), lineOf(finding) + 2)
            .join('\n')}`,
        );
        assert.equal(
          countErrors(sentinel, fixed),
          errorsBefore,
          `fix for line ${lineOf(finding) + 1} breaks the syntax`,
        );
      }
    });
  }
});

function countErrors(sentinel: Awaited<ReturnType<typeof engine>>, text: string): number {
  const tree = sentinel.parser.parse(text);
  if (!tree) return -1;
  const count = tree.rootNode.descendantsOfType(['ERROR']).length + (tree.rootNode.hasError ? 1 : 0);
  tree.delete();
  return count;
}
