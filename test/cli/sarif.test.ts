import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import Ajv from 'ajv-draft-04';
import type * as Sarif from 'sarif';
import { makeTree, runCli } from '../helpers/cli';

const schema = JSON.parse(
  fs.readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
) as object;

const SOURCE = `import subprocess
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    cmd = request.args["cmd"]
    subprocess.call(cmd, shell=True)
    return yaml.load(request.data)


app.run(debug=True)
`;

const roots: string[] = [];
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function sarifOf(files: Record<string, string>): Sarif.Log {
  const root = makeTree(files);
  roots.push(root);
  const run = runCli(['scan', '--format', 'sarif'], root);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  return JSON.parse(run.stdout) as Sarif.Log;
}

describe('SARIF output', () => {
  it('is valid against the SARIF 2.1.0 schema', () => {
    const log = sarifOf({ 'app.py': SOURCE });
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
    const valid = validate(log);
    assert.ok(valid, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    assert.ok((log.runs[0]?.results?.length ?? 0) > 0);
  });

  it('describes every rule with help, helpUri and security/CWE/OWASP tags', () => {
    const rules = sarifOf({ 'app.py': SOURCE }).runs[0]?.tool.driver.rules ?? [];
    assert.ok(rules.length >= 3);
    for (const rule of rules) {
      assert.match(rule.id, /^FS\d{3}$/);
      assert.match(rule.helpUri ?? '', /^https:\/\/.+\.md$/);
      assert.ok(rule.help?.markdown?.includes('## Why it matters'), rule.id);
      const tags = rule.properties?.tags ?? [];
      assert.ok(tags.includes('security'), rule.id);
      assert.ok(
        tags.some((t) => /^CWE-\d+$/.test(t)),
        rule.id,
      );
      assert.ok(
        tags.some((t) => /^OWASP-A\d\d:2021$/.test(t)),
        rule.id,
      );
    }
  });

  it('gives results stable fingerprints that survive code moving down the file', () => {
    const before = sarifOf({ 'app.py': SOURCE }).runs[0]?.results ?? [];
    const moved = SOURCE.replace(
      'app = Flask(__name__)\n',
      'app = Flask(__name__)\n\n\n# a comment\nX = 1\n',
    );
    const afterMove = sarifOf({ 'app.py': moved }).runs[0]?.results ?? [];
    const prints = (rs: Sarif.Result[]) =>
      rs.map((r) => `${r.ruleId}:${r.partialFingerprints?.['flaskSentinelFindingHash/v1']}`).sort();
    assert.deepEqual(prints(afterMove), prints(before));
    const lines = (rs: Sarif.Result[]) =>
      rs.map((r) => r.locations?.[0]?.physicalLocation?.region?.startLine);
    assert.notDeepEqual(lines(afterMove), lines(before));
  });
});
