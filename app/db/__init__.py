"""The database: engines, sessions, the runner, prepared reads, migrations, errors."""
