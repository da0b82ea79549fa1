"""An index for finding subscribers by any part of their address, per database.

``LIKE '%…%'`` reads every row on both databases. PostgreSQL gets a trigram GIN index
(the ``pg_trgm`` extension), which its planner uses for that same ``LIKE``; SQLite gets
an FTS5 table with the trigram tokenizer, kept in step with ``subscribers`` by triggers,
queried with MATCH. Neither can be described as a model, so they are created here after
the table and named in ``UNMODELLED_NAMES`` for the schema comparison to leave alone.
"""
from sqlalchemy import DDL, event

from ..extensions import db

SEARCH_TABLE = "subscriber_search"
# GIN queues new entries in a "pending list" that EVERY search reads in full until it is
# merged (at 4 MB by default: 363 pages read per search at 1M subscribers, where the
# term's own posting lists took 22). 64 kB, the least allowed, keeps that read small.
PENDING_LIST_KB = 64
TRIGRAM_INDEX = "ix_subscribers_email_trgm"
# The FTS5 table and its shadow tables (SQLite), the trigram index (PostgreSQL).
UNMODELLED_NAMES = frozenset({SEARCH_TABLE} | {f"{SEARCH_TABLE}_{part}" for part in (
    "data", "idx", "docsize", "config", "content")} | {TRIGRAM_INDEX})

SQLITE = [
    f"""CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(email, content='subscribers',
        content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER subscribers_search_insert AFTER INSERT ON subscribers BEGIN
         INSERT INTO {SEARCH_TABLE} (rowid, email) VALUES (NEW.id, NEW.email);
       END""",
    f"""CREATE TRIGGER subscribers_search_delete AFTER DELETE ON subscribers BEGIN
         INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, email)
         VALUES ('delete', OLD.id, OLD.email);
       END""",
    f"""CREATE TRIGGER subscribers_search_update AFTER UPDATE OF email ON subscribers BEGIN
         INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, email)
         VALUES ('delete', OLD.id, OLD.email);
         INSERT INTO {SEARCH_TABLE} (rowid, email) VALUES (NEW.id, NEW.email);
       END""",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {TRIGRAM_INDEX} ON subscribers USING gin (email gin_trgm_ops) "
    f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})",
]

for _statement in SQLITE:
    event.listen(db.metadata.tables["subscribers"], "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL:
    event.listen(db.metadata.tables["subscribers"], "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))
