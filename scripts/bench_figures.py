#!/usr/bin/env python3
"""bench_figures.py: the figures of scripts/bench.sh, recorded and written into docs/benchmarks.md.

  record  --bench NAME --mode MODE --skipped REASON
  record  --bench NAME --mode MODE --rc RC --stdout FILE --stderr FILE
      prints one record (JSON) for build-bench/figures/NAME.json: the object the
      benchmark's --json printed (bench/figures.h), with its status (ok; failed
      when it exited non-zero or printed no object, with its last error line) and
      the mode; or a skipped record with the reason.
  rewrite --doc DOC [--print] RECORD.json...
      replaces the text between <!-- bench-figures:begin --> and
      <!-- bench-figures:end --> in DOC with the machine, each bench's date and
      load, and one row per figure beside its target. Benches without a record
      this time keep their rows from the previous section (kept as JSON in a
      comment inside it), marked with their date. --print writes the section to
      stdout and leaves DOC alone.

Errors (a missing marker, a file that is not a record) are one line on stderr
naming the file, exit 1; usage errors exit 2.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

BEGIN = "<!-- bench-figures:begin -->"
END = "<!-- bench-figures:end -->"
DATA = "<!-- bench-figures-data "
# The doc's section order; a bench not listed goes after these, by name.
ORDER = ["launcher_overhead", "apply_time", "torture", "delta_bench", "patch_apply", "deploy_time", "footprint",
         "handover_bench", "many_files_bench", "release_time", "fleet_bench"]


class Failure(Exception):
    """A problem with an input file: printed as one line naming it."""


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_error_line(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return "no output"
    return lines[-1][:300] if lines else "no output"


def record(args):
    if args.skipped is not None:
        return {"bench": args.bench, "mode": args.mode, "status": "skipped", "reason": args.skipped,
                "started": now_iso(), "figures": []}
    obj = None
    try:
        with open(args.stdout, encoding="utf-8") as f:
            text = f.read().strip()
        # The object is the last line: anything a failing run printed before it is not ours.
        obj = json.loads(text.splitlines()[-1]) if text else None
    except (OSError, ValueError):
        obj = None
    if not isinstance(obj, dict) or not isinstance(obj.get("figures"), list):
        return {"bench": args.bench, "mode": args.mode, "status": "failed", "started": now_iso(), "figures": [],
                "error": "exit %d, no figures: %s" % (args.rc, last_error_line(args.stderr))}
    obj["bench"] = args.bench  # torture --deltas names itself torture_deltas; the file name is the key
    obj["mode"] = args.mode
    obj["status"] = "ok" if args.rc == 0 else "failed"
    if args.rc != 0:
        obj["error"] = "exit %d: %s" % (args.rc, last_error_line(args.stderr))
    return obj


def load_record(path):
    try:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
    except OSError as e:
        raise Failure("%s: cannot read: %s" % (path, e.strerror))
    except ValueError as e:
        raise Failure("%s: not valid JSON: %s" % (path, e))
    check_record(rec, path)
    return rec


def check_record(rec, where):
    if not isinstance(rec, dict) or not isinstance(rec.get("bench"), str):
        raise Failure("%s: not a benchmark record (no \"bench\" name)" % where)
    if not isinstance(rec.get("figures", []), list):
        raise Failure("%s: \"figures\" is not a list" % where)
    rec.setdefault("status", "ok")
    for fig in rec.get("figures", []):
        if not isinstance(fig, dict) or not isinstance(fig.get("name"), str):
            raise Failure("%s: a figure without a name" % where)
        if fig.get("value") is not None and not isinstance(fig["value"], (int, float)):
            raise Failure("%s: figure '%s' has a value that is not a number" % (where, fig["name"]))


def split_doc(text, path):
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise Failure("%s: needs exactly one %s and one %s" % (path, BEGIN, END))
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    if end < start:
        raise Failure("%s: %s comes before %s" % (path, END, BEGIN))
    return text[:start], text[start:end], text[end:]


def previous_records(section, path):
    """The records of the section's last generation, from its data comment."""
    at = section.find(DATA)
    if at < 0:
        return {}
    stop = section.find("-->", at + len(DATA))
    try:
        data = json.loads(section[at + len(DATA):stop])
        records = data["records"]
        for rec in records:
            check_record(rec, path + " (previous figures)")
    except (ValueError, KeyError, TypeError) as e:
        raise Failure("%s: the previous figures' data comment is damaged: %s" % (path, e))
    return {rec["bench"]: rec for rec in records}


def run_out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        mem = "%.1f GiB" % (kib / 1024 / 1024)
    except (OSError, StopIteration, ValueError):
        pass
    osname = "unknown"
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        osname = fields.get("PRETTY_NAME", osname).strip('"')
        if os.path.exists("/etc/debian_version"):
            with open("/etc/debian_version", encoding="utf-8") as f:
                osname += " (%s)" % f.read().strip()
    except OSError:
        pass
    tmp = os.environ.get("TMPDIR") or "/var/tmp"
    fstype = run_out(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "--target", tmp]) or run_out(
        ["stat", "-f", "-c", "%T", tmp])
    return [("CPU", cpu), ("cores (`nproc`)", str(len(os.sched_getaffinity(0)))), ("memory", mem),
            ("kernel", "%s %s" % (platform.system(), platform.release())), ("OS", osname),
            ("file system of `$TMPDIR` (`%s`)" % tmp, " ".join(fstype.split()) or "unknown")]


def number(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1e6:
        return "%.3g" % v
    if float(v).is_integer():
        return "{:,}".format(int(v))  # counts: 0 failed trials, 1 wake-up
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.1f" % v
    if a >= 1 or a == 0:
        return "%.2f" % v
    return "%.3g" % v


def when(rec):
    return rec.get("started", "").replace("T", " ").replace("Z", "")[:16] or "—"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def load_text(rec):
    load = rec.get("load") or {}
    if load.get("start") is None:
        return "—"
    return "%.2f → %s" % (load["start"], "%.2f" % load["end"] if load.get("end") is not None else "—")


def status_text(rec):
    if rec["status"] == "skipped":
        return "skipped: " + rec.get("reason", "")
    if rec["status"] == "failed":
        return "**failed**: " + rec.get("error", "")
    return "ok"


def render(records, this_run, mode):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["", "_Generated by `scripts/bench.sh%s` on %s._" % (" --quick" if mode == "quick" else "", stamp)]
    if mode == "quick":
        out += ["", "**Quick run**: small sizes and few runs (scripts/bench.sh, `--quick`), to show every benchmark "
                "works; not figures to quote. The sections below hold the measured ones."]
    if not any(r.get("mode") == "full" for r in records.values()):
        out += ["", "Not yet generated on a full run."]
    out += ["", "| machine (this run) | |", "| --- | --- |"]
    out += ["| %s | %s |" % (k, cell(v)) for k, v in machine()]
    out += ["", "| bench | run (UTC) | mode | 1-min load, start → end | status |", "| --- | --- | --- | --- | --- |"]
    names = sorted(records, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    for name in names:
        rec = records[name]
        date = when(rec) + ("" if name in this_run else " (earlier run)")
        out.append("| %s | %s | %s | %s | %s |" % (name, date, rec.get("mode", "—"), load_text(rec),
                                                   cell(status_text(rec))))
    out += ["", "| bench | figure | value | target | met |", "| --- | --- | ---: | --- | --- |"]
    for name in names:
        rec = records[name]
        if not rec.get("figures"):
            out.append("| %s | — | — | — | %s |" % (name, cell(status_text(rec))))
        for fig in rec.get("figures", []):
            value = number(fig.get("value"))
            if fig.get("value") is not None and fig.get("unit"):
                value += " " + fig["unit"]
            target = fig.get("target_text") or "—"
            met = {True: "met", False: "**missed**"}.get(fig.get("met"), "—")
            note = " (%s)" % fig["note"] if fig.get("note") else ""
            out.append("| %s | %s%s | %s | %s | %s |" % (name, cell(fig["name"]), cell(note), value, cell(target),
                                                        met))
    # The raw "detail" stays in build-bench/figures/: the doc keeps what the tables need.
    kept = [{k: v for k, v in records[n].items() if k != "detail"} for n in names]
    data = json.dumps({"records": kept}, ensure_ascii=False, sort_keys=True)
    out += ["", DATA + data.replace("--", "-\\u002d") + " -->", ""]
    return "\n".join(out)


def rewrite(args):
    try:
        with open(args.doc, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise Failure("%s: cannot read: %s" % (args.doc, e.strerror))
    head, section, tail = split_doc(text, args.doc)
    records = previous_records(section, args.doc)
    fresh = [load_record(p) for p in args.records]  # every file checked before anything is written
    for rec in fresh:
        records[rec["bench"]] = rec
    modes = {rec.get("mode") for rec in fresh}
    new_section = render(records, {rec["bench"] for rec in fresh}, "quick" if "quick" in modes else "full")
    if args.print:
        sys.stdout.write(new_section.strip("\n") + "\n")
        return
    tmp = args.doc + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(head + new_section + tail)
    os.replace(tmp, args.doc)


def main():
    parser = argparse.ArgumentParser(prog="bench_figures.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="one benchmark's record, on stdout")
    rec.add_argument("--bench", required=True)
    rec.add_argument("--mode", choices=["quick", "full"], required=True)
    rec.add_argument("--skipped", metavar="REASON")
    rec.add_argument("--rc", type=int, default=0)
    rec.add_argument("--stdout", metavar="FILE")
    rec.add_argument("--stderr", metavar="FILE")
    rw = sub.add_parser("rewrite", help="rewrite the figures section of a doc")
    rw.add_argument("--doc", required=True)
    rw.add_argument("--print", action="store_true", help="print the section instead of rewriting the doc")
    rw.add_argument("records", nargs="*", metavar="RECORD.json")
    args = parser.parse_args()
    try:
        if args.command == "record":
            if args.skipped is None and not (args.stdout and args.stderr):
                parser.error("record needs --skipped REASON, or --stdout and --stderr")
            json.dump(record(args), sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            rewrite(args)
    except Failure as e:
        print("bench_figures.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
