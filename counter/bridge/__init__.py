"""The counter bridge: a serial caller keypad and LED counter displays for one counter.

A process beside the counter's PC (``nobat-counter-bridge --config bridge.toml``). Like
the print agent it imports nothing from the server: it calls the REST API for every key
press and follows the office's Socket.IO events for what the displays show. The
configuration format is documented in ``example.toml``.
"""
