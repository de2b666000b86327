"""The SQLite store: connection, migrations, papers, search."""
