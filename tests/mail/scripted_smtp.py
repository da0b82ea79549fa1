"""A tiny SMTP server on loopback that answers each command from a script, for replies
aiosmtpd will not give (STARTTLS refused, only unknown AUTH mechanisms, a 421 greeting)."""
import socket
import threading


class ScriptedSmtpServer:
    """``replies`` maps a command word (``EHLO``, ``STARTTLS``, ``MAIL`` …) to its reply lines."""

    def __init__(self, greeting="220 scripted ESMTP", replies=None):
        self.greeting = greeting
        self.replies = {"EHLO": ["250-scripted", "250 8BITMIME"], "QUIT": ["221 bye"],
                        **(replies or {})}
        self.commands = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.host, self.port = self.sock.getsockname()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.sock.close()
        self.thread.join(5)

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as lines:
            conn.sendall(self.greeting.encode() + b"\r\n")
            for line in lines:
                command = line.decode().strip()
                self.commands.append(command)
                word = command.split(" ", 1)[0].upper()
                reply = self.replies.get(word, ["502 5.5.2 not in the script"])
                conn.sendall(b"".join(r.encode() + b"\r\n" for r in reply))
                if word == "QUIT":
                    return
