"""The managers' dashboard: an office's queue live and its history, and a region's offices compared.

Like the counter page it reads everything through the API and the live socket with the
browser's session cookie; the pages here only decide who may see them.
"""
