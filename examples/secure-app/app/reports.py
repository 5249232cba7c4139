import csv
import io
import math
import re

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user, login_required
from flask_pymongo import PyMongo

from .models import db

reports = Blueprint("reports", __name__)
mongo = PyMongo()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_csv(value):
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@reports.post("/wallet/send")
@login_required
def send_credits():
    amount = float(request.form["amount"])
    if not math.isfinite(amount) or not 0 < amount <= current_user.credits:
        abort(400)
    current_user.credits -= amount
    db.session.commit()
    return jsonify(credits=current_user.credits)


@reports.route("/export")
@login_required
def export_contacts():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "company", "note"])
    row = [request.args["name"], request.args.get("company", ""), request.args.get("note", "")]
    writer.writerow([escape_csv(value) for value in row])
    return Response(out.getvalue(), mimetype="text/csv")


@reports.route("/logs")
@login_required
def search_logs():
    needle = re.escape(request.args.get("pattern", ""))
    with open("/var/log/shop/app.log", encoding="utf-8") as log:
        lines = [line for line in log if re.search(needle, line)]
    return jsonify(lines=lines[:100])


@reports.post("/api/contacts/lookup")
@login_required
def lookup_contact():
    criteria = request.get_json()
    contact = mongo.db.contacts.find_one({"owner": current_user.id, "email": str(criteria["email"])})
    if contact is None:
        abort(404)
    return jsonify(id=str(contact["_id"]), name=contact["name"])
