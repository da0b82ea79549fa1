"""A tiny SMTP server on loopback that answers each command from a script, for replies
aiosmtpd will not give (STARTTLS refused, only unknown AUTH mechanisms, a 421 greeting,
DATA itself refused, a server hanging up in the middle of a pipelined group)."""
import socket
import threading

# A "reply" that closes the connection without answering.
HANG_UP = None


class ScriptedSmtpServer:
    """``replies`` maps a command word (``EHLO``, ``STARTTLS``, ``MAIL`` …) to its reply
    lines, or to :data:`HANG_UP`; ``"."`` is the reply to the end of a message's data.

    A reply whose last line is ``421 …`` closes the connection after it is sent, as
    RFC 5321 asks. ``hold_envelope`` keeps the replies to ``MAIL`` and ``RCPT`` until
    the next other command arrives (RFC 2920 lets a server answer a group at its end): a
    client that waits for each reply before sending the next command then waits out its
    timeout, so a passing send proves the envelope came in one group.
    """

    def __init__(self, greeting="220 scripted ESMTP", replies=None, hold_envelope=False):
        self.greeting = greeting
        self.replies = {"EHLO": ["250-scripted", "250 8BITMIME"], "QUIT": ["221 bye"],
                        ".": ["250 2.0.0 Ok: queued"], **(replies or {})}
        self.hold_envelope = hold_envelope
        self.commands = []
        self.messages = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.host, self.port = self.sock.getsockname()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        # close() alone does not wake a thread blocked in accept(); shutdown() does (Linux).
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the scripted server did not stop"

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rb") as lines:
                try:
                    self._converse(conn, lines)
                except OSError:
                    pass  # the client left

    def _converse(self, conn, lines):
        conn.sendall(self.greeting.encode() + b"\r\n")
        if self.greeting.startswith("421"):
            return
        pending = b""
        for line in lines:
            command = line.decode().strip()
            self.commands.append(command)
            word = command.split(" ", 1)[0].upper()
            reply = self.replies.get(word, ["502 5.5.2 not in the script"])
            if reply is HANG_UP:
                return
            pending += b"".join(r.encode() + b"\r\n" for r in reply)
            if self.hold_envelope and word in ("MAIL", "RCPT"):
                continue
            conn.sendall(pending)
            pending = b""
            if word == "QUIT" or reply[-1].startswith("421"):
                return
            if word == "DATA" and reply[-1].startswith("354"):
                content = self._read_data(lines)
                final = self.replies["."]
                if content is None or final is HANG_UP:
                    return  # no end of data, or no answer to it: nothing was accepted
                self.messages.append(content)
                conn.sendall(b"".join(r.encode() + b"\r\n" for r in final))

    @staticmethod
    def _read_data(lines):
        content = []
        for line in lines:
            if line == b".\r\n":
                return b"".join(content)
            content.append(line)
        return None
