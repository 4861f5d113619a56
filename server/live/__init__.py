"""Live updates over Socket.IO: a room per office, a snapshot on joining, numbered events.

The handlers are in ``rooms`` (connecting, the board, ticket pages, ``join``) and
``agent`` (print jobs to a kiosk, its print agent's events); ``sockets`` holds the server,
who holds each socket and who may send each event.

Who sends what:

- client ``connect`` with ``auth={"token": ..., "office": code}``: kiosks, displays,
  counter devices and staff; a browser signed in as staff leaves the token out (its
  session cookie comes with the handshake, which Engine.IO accepts only from this
  server's own origin). Refused without valid credentials or for another office.
  The client joins ``office:<id>`` (a kiosk also ``kiosk:<token id>``) and is sent
  ``snapshot``.
- server ``snapshot``: the office's board with its sequence number ``seq``.
- server ``issued``, ``called``, ``reinstated``, ``recalled``, ``started``, ``parked``,
  ``resumed``, ``done``, ``no_show``, ``transferred``, ``cancelled``, ``expired``,
  ``counter`` (its holder and pause reason too), ``reprinted`` (staff printed a ticket
  again; nothing on the board changes): ``{"seq", "type", "at", "ticket", "counter"}``,
  numbered per office without gaps. A client that sees a gap (after a short wait for
  late arrivals) or reconnects asks for a snapshot.
- client ``snapshot``: asks for a fresh board; answered through the ack.
- client ``join`` ``{"room": "counter:<id>" | "kiosk:<id>"}``: a further room of its
  own office (a counter device: only its own counter's); answered ``{"ok": true}`` or
  ``{"error": {...}}``.
- server ``print`` (to ``kiosk:<id>``): a print job for the kiosk's print agent.
- server ``print_status`` (to ``kiosk:<id>``): a job printed, failed (with the
  printer's reason) or went stale; the kiosk screen tells the citizen.
- print agent (``auth`` with ``"agent": true``) ``agent_alive`` (heartbeat),
  ``print_pending`` (jobs still worth printing, by ack) and ``print_result``.

A citizen's ticket page (``/t/<link>``) connects without login, with
``auth={"ticket": <the link's token>, "lang": "fa" | "en"}``. The link is checked as
the page checks it (unknown or expired: refused). The socket joins only
``ticket:<id>:<lang>`` (its own ticket, worded in its language) and ``tickets:<office
id>`` (content-free nudges), never the office's room, and is sent its status:

- server ``ticket``: the ticket's status (``display.ticket_status.status_payload``:
  status, number, people ahead, wait in words, counter, recalls, what a transfer made
  of it), on connect and after every event of that ticket.
- server ``moved`` (no payload): something happened in the office; a waiting page
  asks for its own status again, at most every few seconds.
- client ``status`` (or ``snapshot``): answered by ack with its own ticket's status.
  The office's handlers (``join``, the print agent's) refuse a ticket socket.

Several processes share events through Redis (``NOBAT_REDIS_URL``): an event
raised in one reaches the sockets held by another.
"""

from server.live import agent, rooms, sockets

# Importing the package registers every handler, whichever module a caller names.
__all__ = ["agent", "rooms", "sockets"]
