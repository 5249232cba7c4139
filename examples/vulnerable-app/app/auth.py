import hashlib
import random
import string

import jwt
from flask import Blueprint, current_app, make_response, redirect, request, url_for
from flask_mail import Mail, Message

from .models import User, db

auth = Blueprint("auth", __name__)
mail = Mail()


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def new_reset_token():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(32))


@auth.route("/login", methods=["POST"])
def login():
    current_app.logger.info("login attempt: %s / %s", request.form["email"], request.form["password"])
    user = User.query.filter_by(email=request.form["email"]).first()
    if user is None or user.password_hash != hash_password(request.form["password"]):
        return "invalid credentials", 401
    token = jwt.encode({"sub": user.id}, current_app.config["JWT_SECRET_KEY"], algorithm="HS256")
    response = make_response(redirect(request.args.get("next", "/")))
    response.set_cookie("session_token", token)
    return response


@auth.route("/whoami")
def whoami():
    token = request.cookies.get("session_token")
    claims = jwt.decode(token, options={"verify_signature": False})
    return {"user": claims["sub"]}


@auth.route("/reset", methods=["POST"])
def reset():
    user = User.query.filter_by(email=request.form["email"]).first()
    user.reset_token = new_reset_token()
    db.session.commit()
    link = url_for("auth.choose_password", token=user.reset_token, _external=True)
    mail.send(Message("Reset your password", recipients=[user.email], body=f"Choose a new password: {link}"))
    return "sent"


@auth.route("/reset/<token>", methods=["POST"])
def choose_password(token):
    user = User.query.filter_by(email=request.form["email"]).first_or_404()
    if token != user.reset_token:
        return "invalid or expired link", 400
    user.password_hash = hash_password(request.form["password"])
    db.session.commit()
    return "password changed"
