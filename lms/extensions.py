"""Extension objects, created once here and bound to the app in create_app()."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def tune_sqlite(dbapi_connection, connection_record):
    """SQLite (the single-machine default): WAL lets the web tier read while workers write, and NORMAL
    synchronisation in WAL mode keeps every commit durable across a crash of the application without an fsync
    per commit. A wait on a busy database instead of an immediate "database is locked"."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "do_connect")
def postgres_in_utc(dialect, connection_record, cargs, cparams):
    """PostgreSQL: sessions in UTC. Times are naive UTC (lms.clock); in the server's own time zone an aware time (or
    now()) written to a `timestamp without time zone` column would be shifted by the offset."""
    if dialect.name == "postgresql":
        cparams["options"] = f"{cparams.get('options', '')} -c timezone=UTC".strip()
