"""Runs the official Python client's e2e suite (./e2e_test, see README.md) against a cluster.

Usage: run.py KUBECONFIG [SECONDS_PER_TEST] [NAME_FILTER]

The tests import `kubernetes.e2e_test` and read fixtures from `kubernetes/e2e_test/test_yaml/`
relative to the working directory, as they do in their own repository: this adds ./e2e_test to
the installed `kubernetes` package's path and runs them from a directory where that relative
path resolves. Each test gets SECONDS_PER_TEST (default 60; some of them poll forever for a
pod that never runs). Prints one JSON line per test: {"test", "outcome", "detail"}.
"""
import json
import os
import signal
import sys
import tempfile
import unittest

here = os.path.dirname(os.path.abspath(__file__))
kubeconfig = sys.argv[1]
per_test = int(sys.argv[2]) if len(sys.argv) > 2 else 60
name_filter = sys.argv[3] if len(sys.argv) > 3 else ''
os.environ['KUBECONFIG'] = kubeconfig  # read by kube_config at import

import kubernetes  # noqa: E402

kubernetes.__path__.append(here)  # kubernetes.e2e_test -> ./e2e_test
work = tempfile.mkdtemp(prefix='py-e2e-')
os.symlink(here, os.path.join(work, 'kubernetes'))
os.chdir(work)


class Timeout(Exception):
    pass


def on_alarm(_sig, _frame):
    raise Timeout('no result within %d s' % per_test)


signal.signal(signal.SIGALRM, on_alarm)


class Result(unittest.TextTestResult):
    def startTest(self, test):
        signal.alarm(per_test)
        super().startTest(test)

    def stopTest(self, test):
        signal.alarm(0)
        super().stopTest(test)


suite = unittest.defaultTestLoader.discover(os.path.join(here, 'e2e_test'), top_level_dir=here)


def flatten(s):
    for t in s:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


tests = [t for t in flatten(suite) if name_filter in t.id()]
out = sys.stdout
sys.stdout = sys.stderr  # the tests print
result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=Result).run(unittest.TestSuite(tests))
failed = {t.id(): ('failure', d) for t, d in result.failures}
failed.update({t.id(): ('error', d) for t, d in result.errors})
skipped = {t.id(): d for t, d in result.skipped}
for t in tests:
    tid = t.id()
    if tid in failed:
        outcome, detail = failed[tid]
    elif tid in skipped:
        outcome, detail = 'skipped', skipped[tid]
    else:
        outcome, detail = 'pass', ''
    out.write(json.dumps({'test': tid, 'outcome': outcome, 'detail': detail.strip().splitlines()[-1] if detail else ''}) + '\n')
# Errors of a class's setUpClass are reported as their own entries.
for t, d in result.errors:
    if t.id() not in {x.id() for x in tests}:
        out.write(json.dumps({'test': t.id(), 'outcome': 'error', 'detail': d.strip().splitlines()[-1]}) + '\n')
