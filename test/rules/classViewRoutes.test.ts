import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const source = `from flask import Flask, request
from flask.views import MethodView

app = Flask(__name__)


class CommentAPI(MethodView):
    def get(self, file_id):
        return "list"

    def post(self, file_id):
        comments.insert_one({"file": file_id, "text": request.get_json()["text"]})
        return "ok"

    def delete(self, file_id):
        comments.delete_many({"file": file_id})
        return "", 204


app.add_url_rule("/files/<file_id>/comments", view_func=CommentAPI.as_view("comments"))
`;

describe('FS501 on a class-based view registered once', () => {
  it('names every unprotected state-changing method in one finding at the registration', async () => {
    const findings = (await engine())
      .analyzeText(source, 'views.py')
      .findings.filter((f) => f.ruleId === 'FS501');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.range.start.line, 19);
    assert.match(
      findings[0]?.message ?? '',
      /^POST, DELETE route \/files\/<file_id>\/comments \(post, delete\) /,
    );
  });
});
