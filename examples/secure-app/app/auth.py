import secrets
from urllib.parse import urlparse

import jwt
from flask import Blueprint, current_app, make_response, redirect, request, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User, db

auth = Blueprint("auth", __name__)


def hash_password(password):
    return generate_password_hash(password)


def new_reset_token():
    return secrets.token_urlsafe(32)


def safe_next(target):
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        return url_for("views.index")
    return target


@auth.route("/login", methods=["POST"])
def login():
    user = User.query.filter_by(email=request.form["email"]).first()
    if user is None or not check_password_hash(user.password_hash, request.form["password"]):
        return "invalid credentials", 401
    token = jwt.encode({"sub": user.id}, current_app.config["JWT_SECRET_KEY"], algorithm="HS256")
    response = make_response(redirect(url_for("views.index")))
    response.set_cookie("session_token", token, secure=True, httponly=True, samesite="Lax")
    return response


@auth.route("/whoami")
def whoami():
    token = request.cookies.get("session_token")
    claims = jwt.decode(token, current_app.config["JWT_SECRET_KEY"], algorithms=["HS256"])
    return {"user": claims["sub"]}


@auth.route("/reset", methods=["POST"])
def reset():
    user = User.query.filter_by(email=request.form["email"]).first_or_404()
    user.reset_token = new_reset_token()
    db.session.commit()
    return "sent"
