class Config:
    SECRET_KEY = "dev-secret-key-change-me"
    JWT_SECRET_KEY = "jwt-signing-key-1234"
    SQLALCHEMY_DATABASE_URI = "postgresql://shop:Sup3rS3cret@db.internal:5432/shop"
    DEBUG = True
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_HTTPONLY = False
    WTF_CSRF_ENABLED = False
    JWT_TOKEN_LOCATION = ["cookies"]
    JWT_COOKIE_CSRF_PROTECT = False
    MAIL_PASSWORD = "mailpass-2024"
