import os


class Config:
    SECRET_KEY = os.environ["SECRET_KEY"]
    JWT_SECRET_KEY = os.environ["JWT_SECRET_KEY"]
    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    JWT_TOKEN_LOCATION = ["cookies"]
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_COOKIE_SECURE = True
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    PASSWORD_MIN_LENGTH = 12
    # Absolute URLs (password-reset links in e-mails) use this host, never the client's Host header.
    SERVER_NAME = os.environ.get("SERVER_NAME", "shop.example.com")
    TRUSTED_HOSTS = [os.environ.get("SERVER_NAME", "shop.example.com")]


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
