"""The embedded sandbox store: one SQL database (SQLite by default, PostgreSQL by URL) for every capability."""
