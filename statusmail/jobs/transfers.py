"""The subscriber export/import job: one transfer id; a second run finds nothing to do."""
from ..services.transfers import run_transfer as _run_transfer
from . import job


@job
def run_transfer(transfer_id):
    return _run_transfer(transfer_id)
