import hmac
import secrets
from urllib.parse import urlparse

import jwt
from flask import Blueprint, current_app, make_response, redirect, request, url_for
from flask_mail import Mail, Message
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User, db

auth = Blueprint("auth", __name__)
mail = Mail()


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
    current_app.logger.info("login attempt: %r", request.form["email"])
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
    link = url_for("auth.choose_password", token=user.reset_token, _external=True)
    mail.send(Message("Reset your password", recipients=[user.email], body=f"Choose a new password: {link}"))
    return "sent"


@auth.route("/reset/<token>", methods=["POST"])
def choose_password(token):
    user = User.query.filter_by(email=request.form["email"]).first_or_404()
    if not user.reset_token or not hmac.compare_digest(token, user.reset_token):
        return "invalid or expired link", 400
    user.password_hash = hash_password(request.form["password"])
    user.reset_token = None
    db.session.commit()
    return "password changed"
