"""The workspace store: SQLite or PostgreSQL through SQLAlchemy, with Alembic migrations."""
