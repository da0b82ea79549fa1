"""DKIM keys made through the admin page, and a resolver that answers with the records the
page shows: a signature that verifies proves the published record is the right one."""
import html
import re

import dkim

from tests.support import web

DKIM_PAGE = "/admin/email/dkim"
_RECORD = re.compile(r'<pre class="dkim-record-zone" data-record-for="([^"]+)">([^<]*)</pre>')
_STRING = re.compile(r'"([^"]*)"')


def generate_key(client, algorithm="rsa", selector=None, domain="example.com", enable=True):
    """Generate (and enable) a key through the page; its selector."""
    page = client.get(DKIM_PAGE)
    assert page.status_code == 200
    selector = selector or re.search(r'name="generate-selector"[^>]*value="([^"]*)"',
                                     page.text).group(1)
    answer = client.post(f"{DKIM_PAGE}/generate", data={
        "csrf_token": web.csrf_token(page.text), "generate-domain": domain,
        "generate-selector": selector, "generate-algorithm": algorithm})
    assert answer.status_code == 302, _errors(answer.text)
    if enable:
        enable_key(client, selector)
    return selector


def key_id(client, selector):
    page = client.get(DKIM_PAGE).text
    found = re.search(rf'id="key-(\d+)" data-selector="{re.escape(selector)}"', page)
    assert found, f"no key {selector} on the page"
    return int(found.group(1)), page


def enable_key(client, selector):
    number, page = key_id(client, selector)
    answer = client.post(f"{DKIM_PAGE}/{number}/enable",
                         data={"csrf_token": web.csrf_token(page)})
    assert answer.status_code == 302


def published_records(client):
    """``{dns name: TXT value}`` exactly as the page tells the operator to publish them:
    the quoted strings (each ≤ 255 characters) joined as a resolver joins them."""
    page = client.get(DKIM_PAGE).text
    records = {}
    for name, zone in _RECORD.findall(page):
        strings = _STRING.findall(html.unescape(zone))
        assert strings and all(len(s) <= 255 for s in strings), zone
        records[name] = "".join(strings).encode()
    assert records, "the page shows no DKIM record"
    return records


def resolver(records):
    def dnsfunc(name, timeout=5):
        return records.get(name.decode().rstrip("."))
    return dnsfunc


def signatures(raw):
    """The DKIM-Signature headers of ``raw``, as ``[(algorithm, selector)]``, top first."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    found = re.findall(r"^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M)
    parsed = []
    for value in found:
        tags = dict(part.strip().split("=", 1) for part in re.sub(r"\s+", "", value).split(";")
                    if "=" in part)
        parsed.append((tags["a"], tags["s"], tags["h"].split(":")))
    return parsed


def verify_one(raw, records, index=0):
    """dkimpy's verdict on the ``index``-th signature (``dkim.verify`` checks only the
    first, and answers False for what ``DKIM.verify`` raises)."""
    try:
        return dkim.DKIM(raw).verify(idx=index, dnsfunc=resolver(records))
    except dkim.DKIMException:
        return False


def verify_all(raw, records):
    """True when every DKIM signature of ``raw`` verifies against ``records``."""
    count = len(signatures(raw))
    assert count, "the mail is not signed"
    return all(verify_one(raw, records, index) for index in range(count))


def _errors(text):
    return re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]+)<', text) or text[:2000]
