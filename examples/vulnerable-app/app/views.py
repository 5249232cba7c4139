import os
import pickle
import re
import sqlite3
import subprocess

import requests
import yaml
from flask import Blueprint, jsonify, render_template, render_template_string, request, send_file
from lxml import etree
from markupsafe import Markup

from .models import User, db

views = Blueprint("views", __name__)
UPLOAD_DIR = "/srv/uploads"
# Display names: words separated by single spaces. The nested repetition backtracks exponentially.
DISPLAY_NAME = re.compile(r"^([a-zA-Z0-9]+\s?)*$")


@views.route("/search")
def search():
    term = request.args.get("q", "")
    conn = sqlite3.connect("shop.db")
    rows = conn.execute(f"SELECT name, price FROM products WHERE name LIKE '%{term}%'").fetchall()
    return jsonify(rows)


@views.route("/greet")
def greet():
    name = request.args.get("name", "world")
    return f"<h1>Hello {name}!</h1>"


@views.route("/banner")
def banner():
    message = request.args.get("message", "")
    return render_template_string("<div class='banner'>" + message + "</div>")


@views.route("/orders/<int:order_id>/receipt")
def receipt(order_id):
    # templates/receipt.txt is a Jinja template too, but Flask only autoescapes .html/.htm/.xml/.xhtml/.svg
    return render_template("receipt.txt", order_id=order_id, note=request.args.get("note", ""))


@views.route("/bio/<username>")
def bio(username):
    return jsonify(html=str(Markup(f"<b>{username}</b>")))


@views.route("/ping")
def ping():
    host = request.args["host"]
    output = subprocess.check_output(f"ping -c 1 {host}", shell=True)
    return output


@views.route("/dns")
def dns_lookup():
    domain = request.args.get("domain", "example.com")
    return os.popen("nslookup " + domain).read()


@views.route("/calc")
def calc():
    return str(eval(request.args["expr"]))


@views.route("/import", methods=["POST"])
def import_cart():
    cart = pickle.loads(request.data)
    settings = yaml.load(request.form["settings"])
    feed = etree.fromstring(request.form["feed"])
    return jsonify(items=len(cart), settings=settings, feed=feed.tag)


@views.route("/download")
def download():
    return send_file(os.path.join(UPLOAD_DIR, request.args["file"]))


@views.route("/upload", methods=["POST"])
def upload():
    uploaded = request.files["document"]
    path = os.path.join(UPLOAD_DIR, uploaded.filename)
    uploaded.save(path)
    os.chmod(path, 0o666)
    return "stored"


@views.route("/preview")
def preview():
    url = request.args["url"]
    return requests.get(url, timeout=5).text


@views.route("/users", methods=["POST"])
def create_user():
    if not DISPLAY_NAME.match(request.get_json().get("display_name", "")):
        return jsonify(error="invalid display name"), 400
    user = User(**request.get_json())
    db.session.add(user)
    db.session.commit()
    return jsonify(id=user.id)


@views.route("/users/<int:user_id>", methods=["DELETE"])
def delete_user(user_id):
    try:
        User.query.filter_by(id=user_id).delete()
        db.session.commit()
    except Exception as error:
        return jsonify(error=str(error)), 500
    return "", 204
