import ldap
from flask import Blueprint, current_app, jsonify, make_response, request, session
from lxml import etree

directory = Blueprint("directory", __name__)
PEOPLE_DN = "ou=people,dc=shop,dc=example"
CATALOG = etree.parse("catalog.xml")


def ldap_connection():
    conn = ldap.initialize(current_app.config["LDAP_URL"])
    conn.simple_bind_s(current_app.config["LDAP_BIND_DN"], current_app.config["LDAP_BIND_PASSWORD"])
    return conn


@directory.route("/people")
def people():
    name = request.args.get("name", "")
    conn = ldap_connection()
    entries = conn.search_s(PEOPLE_DN, ldap.SCOPE_SUBTREE, f"(&(objectClass=person)(cn=*{name}*))", ["cn", "mail"])
    return jsonify([{"dn": dn, "mail": attrs.get("mail")} for dn, attrs in entries])


@directory.route("/products/<sku>")
def product(sku):
    names = CATALOG.xpath(f"//product[@sku='{sku}']/name/text()")
    return jsonify(name=names[0] if names else None)


@directory.route("/export")
def export():
    resp = make_response("\n".join(str(n) for n in CATALOG.xpath("//product/name/text()")))
    resp.headers["Content-Type"] = "text/csv"
    resp.headers["Content-Disposition"] = f"attachment; filename={request.args.get('name', 'catalog')}.csv"
    return resp


@directory.route("/switch-store", methods=["POST"])
def switch_store():
    session["store_id"] = request.form["store_id"]
    return jsonify(store=session["store_id"])
