import hashlib
import random
import string

import jwt
from flask import Blueprint, current_app, make_response, redirect, request

from .models import User, db

auth = Blueprint("auth", __name__)


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def new_reset_token():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(32))


@auth.route("/login", methods=["POST"])
def login():
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
    return "sent"
