import csv
import io
import os
import re
import smtplib

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user, login_required
from flask_pymongo import PyMongo

from .models import db

reports = Blueprint("reports", __name__)
mongo = PyMongo()


@reports.post("/wallet/send")
@login_required
def send_credits():
    amount = float(request.form["amount"])
    if amount > current_user.credits:
        abort(402)
    current_user.credits -= amount
    db.session.commit()
    return jsonify(credits=current_user.credits)


@reports.route("/export")
@login_required
def export_contacts():
    out = io.StringIO()
    writer = csv.writer(out)
    # The export is also mailed to the auditors, logging in to the relay without TLS.
    relay = smtplib.SMTP("mail.example.com", 587)
    relay.login("reports", os.environ["SMTP_PASSWORD"])
    writer.writerow(["name", "company", "note"])
    writer.writerow([request.args["name"], request.args.get("company", ""), request.args.get("note", "")])
    return Response(out.getvalue(), mimetype="text/csv")


@reports.route("/logs")
@login_required
def search_logs():
    pattern = request.args.get("pattern", "")
    with open("/var/log/shop/app.log", encoding="utf-8") as log:
        lines = [line for line in log if re.search(pattern, line)]
    return jsonify(lines=lines[:100])


@reports.post("/api/login")
def api_login():
    credentials = request.get_json()
    user = mongo.db.users.find_one({"email": credentials["email"], "password": credentials["password"]})
    if user is None:
        abort(401)
    return jsonify(id=str(user["_id"]))
