"""What to publish in DNS for DKIM, SPF and DMARC, worded for the operator.

The DKIM record is ``v=DKIM1; k=<rsa|ed25519>; p=<public key>`` at
``<selector>._domainkey.<domain>``. One DNS TXT string holds at most 255 characters,
so the value is also shown split into strings of at most 255 (a 2048-bit RSA key
needs two); resolvers join them back into one value.
"""
from dataclasses import dataclass

TXT_STRING_MAX = 255


@dataclass(frozen=True)
class DkimRecord:
    name: str
    value: str
    strings: tuple

    @property
    def zone_value(self):
        """The value as a zone file writes it: quoted strings, each ≤ 255 characters."""
        return " ".join(f'"{part}"' for part in self.strings)


def dkim_record(key):
    value = f"v=DKIM1; k={key.algorithm}; p={key.public_key}"
    strings = tuple(value[i:i + TXT_STRING_MAX] for i in range(0, len(value), TXT_STRING_MAX))
    return DkimRecord(name=f"{key.selector}._domainkey.{key.domain}", value=value,
                      strings=strings)


def aligned(from_domain, key_domain):
    """Relaxed DMARC alignment, approximated without the public-suffix list: the
    signing domain is the From domain or one is a subdomain of the other."""
    if not from_domain or not key_domain:
        return False
    a, b = from_domain.lower(), key_domain.lower()
    return a == b or a.endswith("." + b) or b.endswith("." + a)


@dataclass(frozen=True)
class SenderAdvice:
    domain: str
    spf_name: str
    spf_value: str
    dmarc_name: str
    dmarc_value: str


def sender_advice(from_domain, smtp_host=None, provider="capture"):
    """SPF and DMARC records to start from, for the From address's domain."""
    if not from_domain:
        return None
    if provider == "smtp" and smtp_host:
        spf = f"v=spf1 a:{smtp_host} ~all"
    else:
        spf = "v=spf1 include:<your provider's SPF domain> ~all"
    return SenderAdvice(domain=from_domain, spf_name=from_domain, spf_value=spf,
                        dmarc_name=f"_dmarc.{from_domain}",
                        dmarc_value=f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{from_domain}")
