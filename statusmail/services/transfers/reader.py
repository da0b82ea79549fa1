"""Reading an uploaded file line by line: the same rules as ever, in constant memory.

Each physical line is decoded on its own, so a byte that is not UTF-8 is reported with
its line number; the CSV reader sees a stream of decoded lines (quoted cells may still
span lines). Rows and refused lines come out one at a time, in file order.
"""
import codecs
import csv
import itertools

from ..subscriber_csv_reader import (
    SHOWN_CHARS, ImportFileError, LineProblem, delimiter_of, find_header, read_record,
)

HEAD_BYTES = 8192  # read first: NUL bytes there mean a binary file, not text
NOT_TEXT = ("This is not a text file (it contains binary data), so nothing was imported. "
            "Upload a CSV file: a spreadsheet saved as “CSV UTF-8”, or a text file with one "
            "address per line.")


def _decoded_lines(binary, progress):
    """Text lines of the file, with their line endings; ``progress(bytes)`` as it goes.

    ``binary`` is a seekable file: its head decides what it is before any line is read.
    """
    head = binary.read(HEAD_BYTES)
    binary.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            yield from _utf16_lines(binary, progress)
        except UnicodeDecodeError:
            raise ImportFileError("The file says it is UTF-16 text but is not, so nothing was "
                                  "imported. Save it as “CSV UTF-8” and upload it again.") from None
        return
    for number, raw in enumerate(binary, 1):
        progress(len(raw))
        if b"\x00" in raw or (number == 1 and b"\x00" in head):
            raise ImportFileError(NOT_TEXT)
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(f"Line {number} is not UTF-8 text, so nothing was imported. "
                                  "Save the file as “CSV UTF-8” and upload it again.") from None
        yield line


def _utf16_lines(binary, progress):
    """Excel's "Unicode text": decoded in blocks, split into lines as they complete."""
    decoder = codecs.getincrementaldecoder("utf-16")()
    buffered = ""
    while chunk := binary.read(64 * 1024):
        progress(len(chunk))
        buffered += decoder.decode(chunk)
        *lines, buffered = buffered.split("\n")  # only "\n" ends a line, as in UTF-8 files
        yield from (line + "\n" for line in lines)
    buffered += decoder.decode(b"", final=True)
    if buffered:
        yield buffered


def read_rows(binary, progress=lambda size: None):
    """Yield ``("header", None)`` once if the file has one, then ``("row", ImportRow)`` and
    ``("problem", LineProblem)`` items in file order."""
    lines = _decoded_lines(binary, progress)
    lookahead = []
    for line in lines:
        lookahead.append(line)
        if line.strip():
            break
    delimiter = delimiter_of("".join(lookahead))
    reader = csv.reader(itertools.chain(lookahead, lines), delimiter=delimiter)
    blank_lines, header, seen_content, end = [], None, False, 0
    try:
        for record in reader:
            line, end = end + 1, reader.line_num
            shown = delimiter.join(record)[:SHOWN_CHARS]
            if not any(cell.strip() for cell in record):
                blank_lines.append(LineProblem(line, shown, "Empty line."))
                continue
            if not seen_content and header is None and (header := find_header(record)):
                blank_lines = []
                yield "header", None
                continue
            seen_content = True
            # Blank lines count only between addresses, not at the end of the file.
            for problem in blank_lines:
                yield "problem", problem
            blank_lines = []
            try:
                yield "row", read_record(record, line, header)
            except ValueError as exc:
                yield "problem", LineProblem(line, shown, str(exc))
    except csv.Error as exc:
        raise ImportFileError(f"Line {end + 1} cannot be read as CSV ({exc}), so nothing was "
                              "imported.") from None
    if not seen_content:
        raise ImportFileError("The file has a header line but no addresses under it."
                              if header else "The file holds no addresses.")
