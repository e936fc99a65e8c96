#!/usr/bin/env python3
"""Converts a landing day's events.csv into the same events as JSON Lines, for the JSON Lines
vs CSV load benchmark (crates/loader/benches/jsonl_vs_csv.sh).

csv_to_jsonl.py EVENTS_CSV EVENTS_JSONL

One object per record with the contract's column names as keys (what the loader's default
mapping, `contract`, reads); an empty field is left out; integers and prices are JSON
numbers when they parse, strings otherwise, so the unparseable rows stay unparseable. A record
with the wrong number of fields is written as its raw CSV line: a `bad_json` reject, as it is
a `bad_field_count` one in the CSV. Deterministic: the same input gives the same bytes.
"""
import csv, json, sys

INTS = {"user_id", "product_id", "quantity"}


def value(column, text):
    if column in INTS:
        try:
            return int(text)
        except ValueError:
            return text
    if column == "unit_price":
        try:
            float(text)
            return json.loads(text)
        except ValueError:
            return text
    return text


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        lines = f.read().split("\n")
        header = lines[0].split(",")
        for line in lines[1:]:
            if not line:
                continue
            fields = next(csv.reader([line]))
            if len(fields) != len(header):
                out.write(line + "\n")
                continue
            obj = {c: value(c, v) for c, v in zip(header, fields) if v != ""}
            out.write(json.dumps(obj, separators=(",", ":")) + "\n")


main()
