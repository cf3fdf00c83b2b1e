"""The extractor: which commitments an article speaks of, at which stage."""

from services.extractor import native as _native

# 1.1: reports read by their parts, task lists, figures. 1.2 (2026-11-28): statements, quotes,
# definitions, titles, aspect, spans of years, mid-year documents, the next sentence, names
# checked for telling words (README, "The extractor and how good it is").
EXTRACTOR_VERSION = "1.2.0"

# The rule modules from a fresh mypyc build when there is one (native.py), else as source.
_native.install()
