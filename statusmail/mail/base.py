"""What every transport is: a context manager whose ``send`` returns the server's reply."""
from .compose import to_bytes


class Transport:
    """Context manager; ``send`` returns ``(code, reply)`` once the mail is accepted."""

    name = "transport"
    # A :class:`~.signing.Signer` when DKIM keys are enabled (set by ``open_transport``).
    signer = None

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self):
        pass

    def close(self):
        pass

    def wire(self, message, raw=None):
        """The bytes that go out: serialised unless given, DKIM-signed once, here, so
        every kind of mail through every byte-level transport is signed the same way."""
        raw = raw if raw is not None else to_bytes(message)
        return raw if self.signer is None else self.signer.sign(raw)
