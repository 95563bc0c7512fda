"""Add counts to rows in one statement: insert, or add to the row already there (SQLite and PostgreSQL)."""

from __future__ import annotations


def upsert_add(connection, table, keys: list[str], values: list[dict], add: list[str]) -> None:
    """Insert rows, or add their ``add`` columns to the rows already there (atomic on both
    databases). ``values`` must not repeat a key."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(values)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={
        c: table.c[c] + getattr(stmt.excluded, c) for c in add})
    connection.execute(stmt)
