"""The extractor: which commitments an article speaks of, at which stage."""

EXTRACTOR_VERSION = "1.0.0"
