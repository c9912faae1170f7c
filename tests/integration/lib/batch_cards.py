#!/usr/bin/env python3
"""Helpers for tests/integration/batch_issue.sh.

  orders SRC_EXAMPLES OUT_DIR COUNT   a JSON Lines batch (orders.jsonl) from the examples, each
                                      order with its own document number, images copied beside it
  done STATE JOURNAL                  exit 0 when the rcsim card STATE is locked and the journal
                                      records its order issued with this card's EF.SOD hash
  check JOURNAL CARD_DIR [--allow-failed]
                                      every issued order on exactly one locked card (matching
                                      EF.SOD hash and document number), no document on two locked
                                      cards, nothing pending or in flight (with --allow-failed:
                                      failed, spoiled or review orders are accepted if they name a
                                      reason);
                                      prints a summary with the orders issued per station
JOURNAL is a SQLite file or a postgresql:// URI (read with psql).
"""
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys

EF_SOD = "011D"


def card(state_path):
    try:
        with open(state_path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def sod_hash(state):
    f = state.get("files", {}).get(EF_SOD)
    if not f or not f.get("data"):
        return None
    return hashlib.sha256(bytes.fromhex(f["data"])).hexdigest()


def mrz_number(number):
    """The document number as rcsim keeps it: with its MRZ check digit (9303-3, weights 7 3 1)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in number]
    return number + str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


ROW_QUERY = "SELECT order_id, document_number, state, sod_sha256, attempts, failure, station FROM orders"


def journal_rows(journal):
    if journal.startswith("postgresql://"):
        out = subprocess.run(["psql", journal, "-X", "-q", "-A", "-t", "-F", "\t", "-c", ROW_QUERY],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise sqlite3.Error("psql: " + out.stderr.strip())
        rows = []
        for line in out.stdout.splitlines():
            f = line.split("\t")
            if len(f) != 7:
                raise sqlite3.Error("psql: unexpected row " + line)
            rows.append((f[0], f[1], f[2], f[3] or None, int(f[4]), f[5] or None, f[6] or None))
        return rows
    db = sqlite3.connect("file:" + journal + "?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(ROW_QUERY).fetchall()
    finally:
        db.close()


def orders(src, out, count):
    os.makedirs(out, exist_ok=True)
    for name in ("face.jpg", "right_index.wsq", "left_index.png", "signature.png", "right_index.png"):
        shutil.copy(os.path.join(src, name), out)
    bases = []
    for name in ("application.json", "exempt-adult.json", "child-under-6.json"):
        with open(os.path.join(src, name)) as f:
            bases.append(json.load(f))
    with open(os.path.join(out, "orders.jsonl"), "w") as f:
        for i in range(count):
            record = json.loads(json.dumps(bases[i % len(bases)]))
            record["document"]["number"] = "RC%07d" % (2000100 + i)
            record["order_id"] = "order-%03d" % (i + 1)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def done(state_path, journal):
    state = card(state_path)
    if not state or state.get("lifecycle") != "locked":
        return 1
    h = sod_hash(state)
    try:
        rows = journal_rows(journal)
    except sqlite3.Error:
        return 1
    return 0 if any(r[2] == "issued" and r[3] == h for r in rows) else 1


def check(journal, card_dir, allow_failed=False):
    rows = journal_rows(journal)
    locked = {}
    for path in sorted(glob.glob(os.path.join(card_dir, "*.card"))):
        state = card(path)
        if state and state.get("lifecycle") == "locked":
            locked.setdefault(sod_hash(state), []).append((path, state.get("document_number")))
    problems = []
    by_state = {}
    by_station = {}
    for order_id, number, state, sod, attempts, failure, station in rows:
        by_state[state] = by_state.get(state, 0) + 1
        # review: the lock's answer was lost and the card is gone; the operator finds it.
        if state in ("failed", "spoiled", "review") and allow_failed:
            if not failure:
                problems.append("order %s is %s without a reason" % (order_id, state))
            continue
        if state != "issued":
            problems.append("order %s is %s" % (order_id, state))
            continue
        by_station[station] = by_station.get(station, 0) + 1
        cards = locked.get(sod, [])
        if len(cards) != 1:
            problems.append("issued order %s is on %d locked cards" % (order_id, len(cards)))
        elif cards[0][1] is not None and cards[0][1] != mrz_number(number):
            problems.append("order %s: the card holds document %s" % (order_id, cards[0][1]))
    numbers = [n for cards in locked.values() for _, n in cards]
    for n in set(numbers):
        if numbers.count(n) > 1:
            problems.append("document %s is on %d locked cards" % (n, numbers.count(n)))
    issued_sods = {r[3] for r in rows if r[2] == "issued" or (allow_failed and r[2] == "review")}
    for sod, cards in locked.items():
        if sod not in issued_sods:
            problems.append("locked card %s holds no issued order's EF.SOD" % cards[0][0])
    print("journal: %s; locked cards: %d; attempts: %d" % (
        ", ".join("%d %s" % (v, k) for k, v in sorted(by_state.items())),
        sum(len(c) for c in locked.values()), sum(r[4] for r in rows)))
    print("issued per station: " + ", ".join("%s %d" % (k, v) for k, v in sorted(by_station.items())))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def main():
    cmd = sys.argv[1]
    if cmd == "orders":
        orders(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    if cmd == "done":
        return done(sys.argv[2], sys.argv[3])
    if cmd == "check":
        return check(sys.argv[2], sys.argv[3], "--allow-failed" in sys.argv[4:])
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
