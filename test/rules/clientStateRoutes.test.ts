import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const source = `from flask import Flask, jsonify, make_response, request, session

app = Flask(__name__)


@app.post("/currency")
def set_currency():
    currency = str(request.get_json().get("currency", "")).upper()
    resp = make_response(jsonify(currency=currency))
    resp.set_cookie("currency", currency, secure=True, httponly=True, samesite="Strict")
    return resp


@app.post("/cart/add")
def add_to_cart():
    cart = session.get("cart", {})
    cart[request.form["sku"]] = cart.get(request.form["sku"], 0) + 1
    session["cart"] = cart
    return jsonify(size=len(cart))


@app.post("/users/<int:user_id>/promote")
def promote(user_id):
    user = User.query.get(user_id)
    user.is_admin = True
    return jsonify(ok=True)


@app.post("/orders")
def place_order():
    db.session.add(Order(sku=request.form["sku"]))
    db.session.commit()
    return jsonify(ok=True)
`;

describe('FS501 confidence: routes that only change the session or cookies of the caller', () => {
  it('reports them at low confidence, and routes that change server state at medium', async () => {
    const findings = (await engine())
      .analyzeText(source, 'app.py')
      .findings.filter((f) => f.ruleId === 'FS501');
    const byView: Record<string, string> = {};
    for (const f of findings) byView[/\((\w+)\)/.exec(f.message)?.[1] ?? ''] = f.confidence;
    assert.deepEqual(byView, {
      set_currency: 'low',
      add_to_cart: 'low',
      promote: 'medium',
      place_order: 'medium',
    });
  });
});
