"""Who may be signed in, and what the admin site remembers about it.

- ``throttle``: failed sign-ins and reset requests slow down per (client, account) and per
  client, counted in Redis; successes never count, so nobody can lock another person out.
- ``sessions``: one row per logged-in browser; logout, timeouts and password changes end
  it on the server, whatever copy of the cookie exists.
- ``accounts``: checking and setting an admin's password (a constant-cost check; setting
  a password ends every session and clears the account's counters).
- ``team``: invitations, roles and deactivation, and the last-owner rule.
- the log of sign-ins and every other operator action: ``services/audit.py``.
"""
