#!/usr/bin/env python3
"""scripts/bench_figures.py and scripts/bench.sh's command line, on a temp copy of a doc.

usage: bench_figures_test.py SOURCE_DIR [BIN_DIR]
With BIN_DIR, bench/footprint.sh --json runs against its programs too: the
object a real benchmark prints goes through record and rewrite.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../..")
BIN = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
TOOL = os.path.join(SOURCE, "scripts", "bench_figures.py")

HEAD = "# Benchmarks\n\n## Machine\n\nhand-written\n\n## Figures\n\n<!-- bench-figures:begin -->\n"
TAIL = "<!-- bench-figures:end -->\n\n## 1. Launcher overhead\n\nHand-written | with a pipe.\n"
EARLIER = {"bench": "apply_time", "mode": "full", "status": "ok", "started": "2026-11-26T10:00:00Z",
           "load": {"start": 1.0, "end": 1.1},
           "figures": [{"name": "apply, 1 GiB in 10000 files", "value": 8.95, "unit": "ms", "target": 10,
                        "target_text": "< 10 ms", "met": True, "note": "a --note"}]}
LAUNCHER = {"bench": "launcher_overhead", "started": "2026-12-07T02:00:00Z", "load": {"start": 1.2, "end": 1.4},
            "figures": [
                {"name": "overhead", "value": 0.54, "unit": "ms", "target": 1, "target_text": "≤ +1 ms", "met": True,
                 "note": ""},
                {"name": "ratio b/a", "value": 1.23, "unit": "x", "target": 1.1, "target_text": "≤ 1.10x",
                 "met": False, "note": ""},
                {"name": "d - c", "value": 0.55, "unit": "ms", "target": None, "target_text": "", "met": None,
                 "note": ""}],
            "params": {"runs": 30}}


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class BenchFigures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        section = "\nold text\n<!-- bench-figures-data %s -->\n" % json.dumps({"records": [EARLIER]})
        self.doc = self.path("benchmarks.md", HEAD + section + TAIL)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name, text=None):
        p = os.path.join(self.dir, name)
        if text is not None:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        return p

    def read(self, p):
        with open(p, encoding="utf-8") as f:
            return f.read()

    def record(self, *args):
        r = run([sys.executable, TOOL, "record", "--mode", "quick"] + list(args))
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def rewrite(self, *records, extra=()):
        return run([sys.executable, TOOL, "rewrite", "--doc", self.doc] + list(extra) + list(records))

    def records(self):
        out = self.path("launcher.out", json.dumps(LAUNCHER) + "\n")
        err = self.path("launcher.log", "launcher_overhead: text\n")
        launcher = self.record("--bench", "launcher_overhead", "--rc", "0", "--stdout", out, "--stderr", err)
        skipped = self.record("--bench", "delta_bench", "--skipped", "needs downloads: run with --fetch")
        failed = self.record("--bench", "deploy_time", "--rc", "3", "--stdout", self.path("empty.out", ""),
                             "--stderr", self.path("deploy.log", "starting\ndeploy_time: cannot start curl\n\n"))
        names = []
        for rec in (launcher, skipped, failed):
            names.append(self.path(rec["bench"] + ".json", json.dumps(rec)))
        return names

    def test_record_statuses(self):
        recs = [json.loads(self.read(p)) for p in self.records()]
        self.assertEqual([r["status"] for r in recs], ["ok", "skipped", "failed"])
        self.assertEqual(recs[0]["mode"], "quick")
        self.assertEqual(recs[2]["error"], "exit 3, no figures: deploy_time: cannot start curl")
        # run_command()'s JSON error on stdout is not a figures object either.
        out = self.path("e.out", '{"code": 1, "error": "cannot start"}\n')
        rec = self.record("--bench", "apply_time", "--rc", "1", "--stdout", out, "--stderr", self.path("e.log", "x\n"))
        self.assertEqual((rec["status"], rec["error"]), ("failed", "exit 1, no figures: x"))

    def test_a_run_that_exits_non_zero_keeps_its_figures(self):
        out = self.path("t.out", "noise\n" + json.dumps(dict(LAUNCHER, bench="torture_deltas")) + "\n")
        rec = self.record("--bench", "torture", "--rc", "1", "--stdout", out, "--stderr",
                          self.path("t.log", "torture: FAILED\n"))
        self.assertEqual((rec["bench"], rec["status"], len(rec["figures"])), ("torture", "failed", 3))
        self.assertEqual(rec["error"], "exit 1: torture: FAILED")

    def test_rewrite_replaces_only_the_section(self):
        r = self.rewrite(*self.records())
        self.assertEqual(r.returncode, 0, r.stderr)
        text = self.read(self.doc)
        self.assertTrue(text.startswith(HEAD))
        self.assertTrue(text.endswith(TAIL))
        section = text[len(HEAD):-len(TAIL)]
        self.assertNotIn("old text", section)
        self.assertIn("| launcher_overhead | overhead | 0.54 ms | ≤ +1 ms | met |", section)
        self.assertIn("| launcher_overhead | ratio b/a | 1.23 x | ≤ 1.10x | **missed** |", section)
        self.assertIn("| launcher_overhead | d - c | 0.55 ms | — | — |", section)
        self.assertIn("| launcher_overhead | 2026-12-07 02:00 | quick | 1.20 → 1.40 | ok |", section)
        self.assertIn("| delta_bench | — | — | — | skipped: needs downloads: run with --fetch |", section)
        self.assertIn("**failed**: exit 3, no figures: deploy_time: cannot start curl", section)
        # Not run this time: kept, with its date.
        self.assertIn("| apply_time | 2026-11-26 10:00 (earlier run) | full | 1.00 → 1.10 | ok |", section)
        self.assertIn("| apply_time | apply, 1 GiB in 10000 files (a --note) | 8.95 ms | < 10 ms | met |", section)
        self.assertIn("**Quick run**", section)
        self.assertIn("| cores (`nproc`) | %d |" % len(os.sched_getaffinity(0)), section)
        self.assertNotIn("--note -->", section)  # the data comment cannot end early
        # In the doc's section order, not by name.
        self.assertLess(section.index("| launcher_overhead | overhead"), section.index("| apply_time | apply"))
        self.assertLess(section.index("| apply_time | apply"), section.index("| delta_bench | —"))

        # Again with one bench: the others stay, now as earlier runs.
        again = self.path("only.json", json.dumps(dict(LAUNCHER, mode="full", status="ok")))
        r = self.rewrite(again)
        self.assertEqual(r.returncode, 0, r.stderr)
        section = self.read(self.doc)[len(HEAD):-len(TAIL)]
        self.assertIn("| launcher_overhead | 2026-12-07 02:00 | full |", section)
        self.assertIn("| delta_bench | ", section)
        self.assertIn("(earlier run) | quick | — | skipped: needs downloads", section)
        self.assertIn("| apply_time | apply, 1 GiB in 10000 files (a --note) | 8.95 ms", section)
        self.assertNotIn("Not yet generated on a full run", section)

    def test_print_leaves_the_doc(self):
        before = self.read(self.doc)
        r = self.rewrite(*self.records(), extra=["--print"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| launcher_overhead | overhead | 0.54 ms |", r.stdout)
        self.assertEqual(self.read(self.doc), before)

    def test_a_malformed_file_is_named_and_nothing_written(self):
        before = self.read(self.doc)
        bad = self.path("fleet_bench.json", '{"bench": "fleet_bench", "figures": [')
        r = self.rewrite(*(self.records() + [bad]))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(bad + ": not valid JSON", r.stderr)
        self.assertEqual(self.read(self.doc), before)
        not_a_record = self.path("x.json", '{"figures": []}')
        r = self.rewrite(not_a_record)
        self.assertEqual(r.returncode, 1)
        self.assertIn(not_a_record + ": not a benchmark record", r.stderr)

    def test_a_doc_without_markers(self):
        self.path("benchmarks.md", "# Benchmarks\n<!-- bench-figures:begin -->\n")
        r = self.rewrite(*self.records())
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.doc + ": needs exactly one", r.stderr)


class BenchScript(unittest.TestCase):
    def test_usage_errors_exit_2_once_on_stderr(self):
        script = os.path.join(SOURCE, "scripts", "bench.sh")
        for argv in (["--bogus"], ["--only"], ["--only", "launcher_overhead,nosuch", "--no-build"]):
            r = run([script] + argv)
            self.assertEqual(r.returncode, 2, argv)
            self.assertEqual(r.stdout, "")
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        r = run([script, "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--no-write", r.stdout)

    @unittest.skipUnless(BIN, "no build folder given")
    def test_footprint_json_goes_through(self):
        r = run([os.path.join(SOURCE, "bench", "footprint.sh"), "--json", BIN])
        self.assertEqual(r.returncode, 0, r.stderr)
        obj = json.loads(r.stdout)
        self.assertEqual(obj["bench"], "footprint")
        self.assertEqual([f["target"] for f in obj["figures"]], [8, 10])
        self.assertTrue(all(isinstance(f["met"], bool) and f["value"] > 0 for f in obj["figures"]))
        self.assertIn("install overhead", r.stderr)  # the text went to stderr


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
