"""Subscriber exports and imports as background jobs: request → row → job → file.

- :mod:`.files` keeps the files (instance/transfers/, mode 0600, random names);
- :mod:`.queueing` records a transfer, queues its job, and re-queues one whose worker
  died or whose job Redis lost (the sweeper calls it);
- :mod:`.export` streams the list into a file a chunk at a time;
- :mod:`.importer` streams an uploaded file into staging rows (:mod:`.staging`: COPY on
  PostgreSQL), then merges them into the list in one transaction, all or nothing, with
  the import's rules as SQL statements over ranges of lines (:mod:`.merge`).

Views call what this module exports; jobs call :func:`run_transfer`.
"""
from .queueing import (
    PROGRESS_FIELDS, TransferRefused, progress, run_transfer, start_export, start_import,
    sweep_transfers,
)

__all__ = ["PROGRESS_FIELDS", "TransferRefused", "progress", "run_transfer", "start_export",
           "start_import", "sweep_transfers"]
