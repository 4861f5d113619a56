"""The queue engine's SQL: statements that differ by database, and the runner of the hot ones.

The rule modules of :mod:`server.engine` say *what* a command does; this package says
how each database is asked for it. Every choice by database is made in
:mod:`server.engine.sql.dialects`, so nothing outside this package names one; where a
rule's comment quotes a measurement, SQLite is "the embedded database" and PostgreSQL
"the database server".
"""
