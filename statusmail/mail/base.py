"""What every transport is: a context manager whose ``send`` returns the server's reply."""


class Transport:
    """Context manager; ``send`` returns ``(code, reply)`` once the mail is accepted."""

    name = "transport"

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self):
        pass

    def close(self):
        pass
