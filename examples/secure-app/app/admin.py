import hashlib
import os
import tarfile
import tempfile

import requests
from cryptography.fernet import Fernet
from flask import Blueprint, abort, request
from flask_login import current_user
from jinja2 import Environment, FileSystemLoader, select_autoescape

admin = Blueprint("admin", __name__)
reports = Environment(loader=FileSystemLoader("reports"), autoescape=select_autoescape())


@admin.before_request
def require_admin():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)


@admin.route("/restore", methods=["POST"])
def restore():
    handle, path = tempfile.mkstemp(suffix=".tar")
    os.close(handle)
    request.files["backup"].save(path)
    with tarfile.open(path) as archive:
        archive.extractall("/srv/data", filter="data")
    return "restored"


@admin.route("/backup")
def backup():
    key = os.environ["BACKUP_KEY"].encode()
    with tempfile.NamedTemporaryFile(delete=False) as out:
        out.write(Fernet(key).encrypt(b"payload!"))
    checksum = hashlib.sha256(b"payload!").hexdigest()
    requests.post("https://backup.internal/upload", data=checksum, timeout=10)
    return reports.get_template("backup.html").render(checksum=checksum)
