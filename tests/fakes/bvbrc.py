"""A fake BV-BRC for tests: deterministic genomes/features/sequences, fake p3-* commands
(bin/) and a local HTTP server answering RQL like the Data API. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

PHES = "Phenylalanyl-tRNA synthetase alpha chain (EC 6.1.1.20)"
DECOY = "Phenylalanyl-tRNA synthetase beta chain (EC 6.1.1.20)"


def make_data(n_genomes: int = 40, length: int = 240, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    root = rng.choice(list("ACGT"), size=length)
    genomes, features, sequences = [], [], {}

    def add(gid, peg, product, seq):
        md5 = hashlib.md5(seq.encode()).hexdigest()
        sequences[md5] = seq
        features.append({
            "patric_id": f"fig|{gid}.peg.{peg}", "genome_id": gid, "product": product,
            "feature_type": "CDS", "na_sequence_md5": md5,
        })  # fmt: skip

    for g in range(n_genomes + 5):
        gid = f"{1000 + g}.{g % 7 + 1}"
        genomes.append({
            "genome_id": gid, "genome_name": f"Fakeus {g}",
            "reference_genome": "Representative" if g < n_genomes else "",
        })  # fmt: skip
        s = root.copy()
        k = 5 + g % 30
        s[rng.integers(0, length, size=k)] = rng.choice(list("ACGT"), size=k)
        seq = "".join(s[: length - g % 9])
        if g == 6:
            seq = features[-2]["na_sequence_md5"] and sequences[features[-2]["na_sequence_md5"]]
        add(gid, 100 + g, PHES, seq.lower() if g == 2 else seq)
        add(gid, 900 + g, DECOY, "".join(rng.choice(list("ACGT"), size=length)))
        if g == 3:  # a second copy in one genome
            add(gid, 2000, PHES, seq[:-3] + "GGG")
        if g == 4:  # a fragment below the length bound
            add(gid, 3000, PHES, seq[:100])
    return {"genomes": genomes, "features": features, "sequences": sequences}


def _matches(record: dict, field: str, value: str) -> bool:
    have = str(record.get(field, ""))
    if field == "product":  # Solr text matching: any word matches (the documented gotcha)
        return bool(set(value.lower().split()) & set(have.lower().split()))
    return have == value


# ------------------------------------------------------------------ RQL server


def _split_args(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return [*out, cur] if cur or out else []


def _parse(term: str):
    m = re.fullmatch(r"(\w+)\((.*)\)", term, flags=re.S)
    if not m:
        raise ValueError(f"bad RQL term {term!r}")
    return m[1], _split_args(m[2])


def _filter(term: str, records: list[dict]) -> list[dict]:
    op, args = _parse(term)
    if op == "and":
        for a in args:
            records = _filter(a, records)
        return records
    if op == "eq":
        field, value = args[0], urllib.parse.unquote(args[1])
        return [r for r in records if _matches(r, field, value)]
    if op == "in":
        field = args[0]
        values = {urllib.parse.unquote(v) for v in _split_args(args[1][1:-1])}
        return [r for r in records if str(r.get(field)) in values]
    raise ValueError(f"unsupported RQL operator {op}")


class FakeApi:
    """``with FakeApi(data, fail_first=1) as api: api.url``: 503s, then answers, on 127.0.0.1.

    Misbehaviour on request: ``ignore_offset`` serves every page from offset 0,
    ``content_range=False`` sends no ``Content-Range``, ``answers={collection: payload}`` sends
    that payload as is. After ``max_requests`` requests every answer is HTTP 429, so a client
    that never stops fails the test in seconds instead of hanging it.
    """

    def __init__(
        self,
        data: dict,
        fail_first: int = 0,
        *,
        ignore_offset: bool = False,
        content_range: bool = True,
        answers: dict | None = None,
        max_requests: int | None = None,
    ):
        self.data, self.fail_left = data, fail_first
        self.ignore_offset, self.content_range = ignore_offset, content_range
        self.answers, self.max_requests = answers or {}, max_requests
        self.requests: list[tuple[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                parts = self.path.split("?")[0].strip("/").split("/")
                collection = parts[1] if len(parts) == 2 and parts[0] == "api" else "?"
                api.requests.append((collection, body))
                if api.fail_left > 0 and collection == "feature_sequence":
                    api.fail_left -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                status, payload, headers = api.answer(collection, body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(payload).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def answer(self, collection: str, body: str):
        if self.max_requests is not None and len(self.requests) > self.max_requests:
            return 429, {"error": "too many requests"}, {}
        if self.headers_ok(body) is False:
            return 400, {"error": "bad query"}, {}
        if collection in self.answers:
            return 200, self.answers[collection], {}
        table = {
            "genome": self.data["genomes"],
            "genome_feature": self.data["features"],
            "feature_sequence": [
                {"md5": k, "sequence": v} for k, v in self.data["sequences"].items()
            ],
        }.get(collection)
        if table is None:
            return 404, {"error": collection}, {}
        records, select, limit, offset = table, None, 25000, 0
        for term in body.split("&"):
            op, args = _parse(term)
            if op == "select":
                select = args
            elif op == "limit":
                limit, offset = int(args[0]), int(args[1]) if len(args) > 1 else 0
            else:
                records = _filter(term, records)
        limit = min(limit, 25000)
        if self.ignore_offset:
            offset = 0
        page = records[offset : offset + limit]
        if select:
            page = [{k: r[k] for k in select if k in r} for r in page]
        end = offset + len(page) - 1
        if not self.content_range:
            return 200, page, {}
        return 200, page, {"Content-Range": f"items {offset}-{end}/{len(records)}"}

    @staticmethod
    def headers_ok(body: str) -> bool:
        return " " not in body  # values must arrive URL-encoded

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":  # python tests/fakes/bvbrc.py DATA.json PORTFILE: serve until killed
    import sys

    with open(sys.argv[1]) as fh, FakeApi(json.load(fh), fail_first=1) as api:
        open(sys.argv[2], "w").write(api.url)
        threading.Event().wait()
