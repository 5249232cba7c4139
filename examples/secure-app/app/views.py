import ast
import json
import os
import sqlite3
import subprocess
import uuid

import requests
import yaml
from defusedxml import ElementTree
from flask import Blueprint, abort, jsonify, render_template, render_template_string, request, send_from_directory
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.utils import secure_filename

from .models import User, db

views = Blueprint("views", __name__)
UPLOAD_DIR = "/srv/uploads"
ALLOWED_HOSTS = {"example.com", "www.example.com"}


@views.route("/")
def index():
    return render_template("index.html")


@views.route("/search")
def search():
    term = request.args.get("q", "")
    conn = sqlite3.connect("shop.db")
    rows = conn.execute("SELECT name, price FROM products WHERE name LIKE ?", (f"%{term}%",)).fetchall()
    return jsonify(rows)


@views.route("/greet")
def greet():
    name = request.args.get("name", "world")
    return f"<h1>Hello {escape(name)}!</h1>"


@views.route("/banner")
def banner():
    message = request.args.get("message", "")
    return render_template_string("<div class='banner'>{{ message }}</div>", message=message)


@views.route("/bio/<username>")
def bio(username):
    return jsonify(html=str(Markup("<b>{}</b>").format(username)))


@views.route("/ping")
@login_required
def ping():
    host = request.args["host"]
    if host not in ALLOWED_HOSTS:
        abort(400)
    output = subprocess.check_output(["ping", "-c", "1", host])
    return jsonify(output=output.decode())


@views.route("/dns")
def dns_lookup():
    domain = request.args.get("domain", "example.com")
    # No shell: the domain is one argument to a fixed program, whatever characters it holds.
    result = subprocess.run(["nslookup", domain], capture_output=True, text=True, timeout=10)
    return jsonify(output=result.stdout)


@views.route("/calc")
def calc():
    return str(ast.literal_eval(request.args["expr"]))


@views.route("/import", methods=["POST"])
@login_required
def import_cart():
    cart = json.loads(request.data)
    settings = yaml.safe_load(request.form["settings"])
    feed = ElementTree.fromstring(request.form["feed"])
    return jsonify(items=len(cart), settings=settings, feed=feed.tag)


@views.route("/download")
@login_required
def download():
    return send_from_directory(UPLOAD_DIR, request.args["file"])


@views.route("/upload", methods=["POST"])
@login_required
def upload():
    uploaded = request.files["document"]
    name = f"{uuid.uuid4().hex}-{secure_filename(uploaded.filename)}"
    uploaded.save(os.path.join(UPLOAD_DIR, name))
    return "stored"


@views.route("/preview")
@login_required
def preview():
    slug = request.args["slug"]
    return requests.get(f"https://docs.example.com/pages/{slug}", timeout=5).text


@views.route("/users", methods=["POST"])
@login_required
def create_user():
    payload = request.get_json()
    user = User(email=payload["email"])
    db.session.add(user)
    db.session.commit()
    return jsonify(id=user.id)


@views.route("/users/<int:user_id>", methods=["DELETE"])
@login_required
def delete_user(user_id):
    if not current_user.is_admin:
        abort(403)
    try:
        User.query.filter_by(id=user_id).delete()
        db.session.commit()
    except Exception:
        current_app_logger().exception("delete failed")
        return jsonify(error="could not delete the user"), 500
    return "", 204


def current_app_logger():
    from flask import current_app

    return current_app.logger
