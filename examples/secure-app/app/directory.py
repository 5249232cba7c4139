import io

import ldap
from defusedxml import ElementTree
from flask import Blueprint, abort, current_app, jsonify, request, send_file, session
from flask_login import login_required
from ldap.filter import escape_filter_chars
from werkzeug.utils import secure_filename

directory = Blueprint("directory", __name__)
PEOPLE_DN = "ou=people,dc=shop,dc=example"
STORES = {"berlin", "lisbon", "oslo"}


def ldap_connection():
    conn = ldap.initialize(current_app.config["LDAP_URL"])
    conn.simple_bind_s(current_app.config["LDAP_BIND_DN"], current_app.config["LDAP_BIND_PASSWORD"])
    return conn


def catalog():
    with open("catalog.xml", "rb") as source:
        return ElementTree.parse(source).getroot()


@directory.route("/people")
@login_required
def people():
    name = escape_filter_chars(request.args.get("name", ""))
    conn = ldap_connection()
    entries = conn.search_s(PEOPLE_DN, ldap.SCOPE_SUBTREE, f"(&(objectClass=person)(cn=*{name}*))", ["cn", "mail"])
    return jsonify([{"dn": dn, "mail": attrs.get("mail")} for dn, attrs in entries])


@directory.route("/products/<sku>")
@login_required
def product(sku):
    if not sku.isalnum():
        abort(404)
    name = catalog().findtext(f".//product[@sku='{sku}']/name")
    return jsonify(name=name)


@directory.route("/export")
@login_required
def export():
    name = secure_filename(request.args.get("name", "")) or "catalog"
    rows = "\n".join(p.findtext("name", "") for p in catalog().iter("product"))
    return send_file(io.BytesIO(rows.encode()), mimetype="text/csv", as_attachment=True, download_name=f"{name}.csv")


@directory.route("/switch-store", methods=["POST"])
@login_required
def switch_store():
    store = request.form["store_id"]
    if store not in STORES:
        abort(400)
    session["store_id"] = store
    return jsonify(store=store)
