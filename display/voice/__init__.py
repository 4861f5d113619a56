"""Spoken calls: the words, the announcement built from them, the audio generated at set-up
and an office's own recordings. Only ``web.py`` imports Flask, so the rest is tested and
run (``nobat voice build``) without an app."""
