"""Administration pages: an office's devices (pair by code, list, revoke).

Like the counter and dashboard pages they read and change everything through the API
with the browser's session cookie and CSRF token; the pages here only decide who may
see them.
"""
