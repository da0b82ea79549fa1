"""The committed messages.pot is what extraction finds in the sources now: a string
marked for translation without re-extracting fails here (translators would never see it)."""
import subprocess
import sys

from babel.messages.pofile import read_po

from tests.i18n.catalogues import ROOT, template_messages


def _ids(messages):
    return {message.id for message in messages if message.id}


def test_messages_pot_is_up_to_date_with_the_sources(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "babel.cfg", "-o", str(fresh), "."],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    with open(fresh, "rb") as extracted:
        found = _ids(read_po(extracted))
    committed = _ids(template_messages())
    assert found - committed == set(), ("marked but missing from messages.pot: run "
                                        "pybabel extract (see README, Translating)")
    assert committed - found == set(), "in messages.pot but no longer in the sources"
    assert len(found) > 200  # the whole subscriber side, not an empty extraction
