from flask import Flask
from flask_cors import CORS
from flask_talisman import Talisman

from .admin import admin
from .auth import auth
from .config import Config
from .directory import directory
from .reports import reports
from .views import views


def create_app():
    app = Flask(__name__)
    app.config.from_object(Config)
    CORS(app, supports_credentials=True)
    Talisman(app, force_https=False)
    app.register_blueprint(auth, url_prefix="/auth")
    app.register_blueprint(views)
    app.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(directory, url_prefix="/directory")
    app.register_blueprint(reports, url_prefix="/reports")
    return app
