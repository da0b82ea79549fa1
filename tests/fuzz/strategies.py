"""What the fuzzer types: text from the whole of Unicode with control characters and
lone surrogates favoured, huge strings, integers past 64 bits, wrong types, nested JSON,
broken bodies — mixed with the values a person could pick, so that some cases get past
the first check and reach the deeper ones."""
import json

from hypothesis import strategies as st

CONTROL = "".join(map(chr, [*range(0, 32), 127, *range(0x80, 0xA0)])) + "\u2028\u2029\ufeff\u202e"
HUGE_INTEGERS = st.one_of(
    st.sampled_from([2**31, 2**32, 2**63 - 1, 2**63, 2**64, 2**64 + 1, -(2**63) - 1,
                     10**30, -(10**30)]),
    st.integers(min_value=2**63, max_value=10**80),
    st.integers(max_value=-(2**63)),
)

text = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from(CONTROL) | st.characters(), max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "So", "Mn"]),
            min_size=1, max_size=20),
    st.builds(lambda head, tail: head + "\x00" + tail, st.text(max_size=10), st.text(max_size=10)),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "true", "null", "[]", "{}",
                     "=?utf-8?b?AA==?=", "=?utf-8?q?a=0D=0Ab?=", "a\r\nBcc: x@example.com",
                     "<script>alert(1)</script>", "../../etc/passwd", "%00", "ｆｕｌｌ",
                     "İstanbul", "ß", "ﬁ", "Ⅻ", "x@example.com", "2030-06-01T14:30",
                     "1999-01-01 00:00", "9999-12-31T23:59"]),
    HUGE_INTEGERS.map(str),
)
huge_text = st.sampled_from([1000, 5000, 70_000]).flatmap(
    lambda size: st.sampled_from(["a", "é", "\x00", "😀", "\n"]).map(lambda c: c * size))


def form_value(known):
    """One form value: a known one (default, option) or something hostile."""
    choices = [text, huge_text.filter(lambda _: True)]
    if known:
        choices.insert(0, st.sampled_from(known))
    return st.one_of(*choices)


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTEGERS,
    st.floats(allow_nan=False, allow_infinity=False), text, huge_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)


def deep_json(depth):
    return ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth)


raw_json_bodies = st.one_of(
    st.sampled_from(["", "{", "[", "null", "1", '"x"', "[1,2]", "NaN", "Infinity",
                     '{"title": NaN}', '{"title": 1e999}', '{"a": 1, "a": 2}',
                     '{"title": "\\ud800"}', '{"message": "\\udfff x"}', '{"\\u0000": 1}',
                     "\ufeff{}", '{"title": "' + "9" * 5000 + '"}', "9" * 5000,
                     *deep_json(100), *deep_json(2000), *deep_json(100_000)]),
    json_value.map(json.dumps),
)
raw_bytes = st.one_of(st.binary(max_size=200), st.sampled_from([
    b"\xff\xfe\x00{", b"\xc3\x28", b"\xed\xa0\x80", b"{\"title\": \"\xff\"}",
]))
