"""A province's offices, services, counters and users, to and from files (no Flask here).

``files`` reads YAML or CSV (a zip or folder) into rows; ``checks`` turns rows into
records and problems; ``plan`` compares them with the database (``stored``) and checks
references; ``apply`` writes a plan; ``importing`` runs it all in one transaction.
The format is described in ``docs/province-files.md``.
"""

from server.province.checks import Parsed
from server.province.files import FORMATS, export, format_of, read_path, read_upload, write_path
from server.province.importing import Hasher, Outcome, hash_each, hash_on_every_core, run
from server.province.plan import KINDS, Change, Plan, plan
from server.province.problems import Problem, ProvinceInvalid, Where
from server.province.records import Province
from server.province.stored import load

__all__ = [
    "FORMATS",
    "KINDS",
    "Change",
    "Hasher",
    "Outcome",
    "Parsed",
    "Plan",
    "Problem",
    "Province",
    "ProvinceInvalid",
    "Where",
    "export",
    "format_of",
    "hash_each",
    "hash_on_every_core",
    "load",
    "plan",
    "read_path",
    "read_upload",
    "run",
    "write_path",
]
