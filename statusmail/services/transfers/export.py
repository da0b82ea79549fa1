"""Writing the subscriber list to a CSV file, a chunk at a time.

The file is offered for download only once the job wrote its last row, with its size,
so a download that breaks off shows as broken in the browser, and a file that is there
is whole.
"""
import csv
import io
import os

from sqlalchemy import func, select

from ...extensions import db
from ...models import Subscriber
from ..subscriber_admin import subscriber_filters
from ..subscriber_csv import export_rows
from . import files

REPORT_EVERY = 2000


def run_export(transfer, run):
    status, search = transfer.status_filter or "all", transfer.search or ""
    total = db.session.scalar(select(func.count()).select_from(Subscriber)
                              .where(*subscriber_filters(status, search)))
    db.session.commit()
    run.report(rows_total=total, rows_done=0, bytes_done=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = written = 0
    with files.open_new(transfer.file_name) as out:
        for row in export_rows(status, search):
            writer.writerow(row)
            rows += 1
            if rows % REPORT_EVERY == 0:
                written += out.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
                run.report(rows_done=rows - 1, bytes_done=written)
        written += out.write(buffer.getvalue().encode())
        out.flush()
        os.fsync(out.fileno())
    subscribers = rows - 1  # the header
    run.report(rows_done=subscribers, rows_total=subscribers, bytes_done=written,
               bytes_total=written)
    run.finish("done", result={"rows": subscribers, "bytes": written})
    return f"exported {subscribers} subscribers"
