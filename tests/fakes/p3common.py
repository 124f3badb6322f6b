"""Shared code of the fake p3-* commands: p3's conventions (TSV with table.field headers, keys
from stdin in --col, --eq filters that match words, FASTA '>PATRIC_ID PRODUCT')."""

import argparse
import json
import os
import sys

from bvbrc import _matches


def _data():
    with open(os.environ["FAKE_BVBRC_DATA"]) as fh:
        return json.load(fh)


def _args(argv, extra=()):
    if "--version" in argv:
        print("fake-p3 1.0 (tests)")
        sys.exit(0)
    p = argparse.ArgumentParser()
    p.add_argument("--eq", action="append", default=[])
    p.add_argument("--attr", default="")
    p.add_argument("--col", default=None)
    for name in extra:
        p.add_argument(name, action="store_true")
    return p.parse_args(argv)


def _keys(col):
    lines = sys.stdin.read().splitlines()
    header = lines[0].split("\t")
    k = header.index(col) if col in header else len(header) - 1
    return [line.split("\t")[k] for line in lines[1:] if line.strip()]


def _select(records, eqs):
    for eq in eqs:
        field, value = eq.split(",", 1)
        records = [r for r in records if _matches(r, field, value)]
    return records


def _print_table(table, records, attrs):
    print("\t".join(f"{table}.{a}" for a in attrs))
    for r in records:
        print("\t".join(str(r.get(a, "")) for a in attrs))


def main_all_genomes(argv):
    a = _args(argv)
    _print_table("genome", _select(_data()["genomes"], a.eq), a.attr.split(",") or ["genome_id"])


def main_genome_features(argv):
    a = _args(argv, ["--selective"])
    genomes = set(_keys(a.col))
    feats = [f for f in _data()["features"] if f["genome_id"] in genomes]
    _print_table("feature", _select(feats, a.eq), a.attr.split(","))


def main_feature_sequence(argv):
    a = _args(argv, ["--dna"])
    data = _data()
    by_id = {f["patric_id"]: f for f in data["features"]}
    for pid in _keys(a.col):
        f = by_id[pid]
        seq = data["sequences"][f["na_sequence_md5"]]
        print(f">{pid} {f['product']}")
        for i in range(0, len(seq), 60):
            print(seq[i : i + 60])
