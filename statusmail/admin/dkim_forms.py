"""Forms of the DKIM page. They check the names; reading and storing keys is
:mod:`statusmail.services.dkim_keys`' job."""
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..services.dkim_keys import (PEM_MAX_CHARS, domain_problem, normalize_name,
                                  selector_problem)

ALGORITHM_CHOICES = [
    SelectChoice("rsa", "RSA 2048: every receiver verifies it (the default)"),
    SelectChoice("ed25519", "Ed25519: short and fast, but many receivers ignore it — "
                            "pair it with an RSA key"),
]


def _domain(form, field):
    problem = domain_problem(field.data)
    if problem:
        raise ValidationError(problem)


def _selector(form, field):
    problem = selector_problem(field.data)
    if problem:
        raise ValidationError(problem)


class _NamedKeyForm(FlaskForm):
    domain = StringField("Signing domain (d=)", filters=[normalize_name], validators=[_domain],
                         description="The domain the signature names: your From address's "
                                     "domain, so that DMARC sees it aligned.")
    selector = StringField("Selector (s=)", filters=[normalize_name], validators=[_selector],
                           description="Names the DNS record of this key. A new key needs a "
                                       "new selector.")


class GenerateDkimKeyForm(_NamedKeyForm):
    algorithm = RadioField("Key type", choices=ALGORITHM_CHOICES, default="rsa")


class PasteDkimKeyForm(_NamedKeyForm):
    private_key = TextAreaField(
        "Private key (PEM)",
        description="An unencrypted RSA (1024–4096 bits) or Ed25519 private key, from "
                    "-----BEGIN to -----END. It is encrypted at rest and never shown again.")

    def validate_private_key(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Paste a private key in PEM form.")
        if len(field.data) > PEM_MAX_CHARS:
            raise ValidationError(f"That is longer than any key we accept "
                                  f"({PEM_MAX_CHARS:,} characters at most).")
