import base64
import hashlib
import pickle
import tarfile
import tempfile

import requests
from Crypto.Cipher import DES
from flask import Blueprint, request
from jinja2 import Environment, FileSystemLoader
from lxml import etree
from mako.template import Template
from werkzeug.serving import run_simple

admin = Blueprint("admin", __name__)
BACKUP_KEY = b"8bytekey"
ADMIN_API_TOKEN = "ghp_4f9aB3cD5eF6gH7iJ8kL9mN0pQ1rS2tU3vW4"
reports = Environment(loader=FileSystemLoader("reports"))
# The invoice header of the legacy billing pages, still rendered with Mako (which escapes nothing by default).
INVOICE_HEADER = Template("<h2>Invoice for ${customer}</h2>")


@admin.route("/restore", methods=["POST"])
def restore():
    path = tempfile.mktemp(suffix=".tar")
    request.files["backup"].save(path)
    with tarfile.open(path) as archive:
        archive.extractall("/srv/data")
    return "restored"


@admin.route("/backup")
def backup():
    with open("/tmp/backup.bin", "wb") as out:
        out.write(DES.new(BACKUP_KEY, DES.MODE_ECB).encrypt(b"payload!"))
    checksum = hashlib.sha1(b"payload!").hexdigest()
    requests.post("https://backup.internal/upload", data=checksum, verify=False, timeout=10)
    return reports.get_template("backup.html").render(checksum=checksum)


@admin.route("/jobs", methods=["POST"])
def schedule_job():
    # "Signed" by being base64: any client can send a pickle that runs code when it is loaded.
    job = pickle.loads(base64.b64decode(request.form["job"]))
    return str(job)


@admin.route("/catalog", methods=["POST"])
def import_catalog():
    parser = etree.XMLParser(resolve_entities=True, no_network=False)
    catalog = etree.fromstring(request.files["catalog"].read(), parser)
    # Tells the search service to re-index; waits as long as that service takes, for ever if it hangs.
    requests.post("https://search.internal/reindex", json={"items": len(catalog)})
    return str(len(catalog))


@admin.route("/reports/preview", methods=["POST"])
def preview_report():
    # Lets admins try out a report layout before saving it: the layout is compiled as a Jinja template.
    layout = request.form["layout"]
    return reports.from_string(layout).render(checksum="preview")


@admin.route("/go")
def go():
    return admin_redirect(request.args["to"])


def admin_redirect(target):
    from flask import redirect

    return redirect(target)


if __name__ == "__main__":
    run_simple("localhost", 5001, admin, use_debugger=True, use_evalex=True)
