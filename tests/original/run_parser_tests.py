"""Runs the original carbontracker 2.1.2's own parser tests (tests/test_parser.py
of its source distribution on PyPI, fetched by scripts/setup-original.sh; not
part of this repository) against our carbontracker.parser.

    run_parser_tests.py ORIGINAL_TEST_PARSER_PY doc/original-parser-tests.md

The tests that assert the original's documented bugs are skipped by name,
with their reason, as listed in the table of doc/original-parser-tests.md.
Exit status 1 when any other test fails or errs, or when a name in the table
is not a test of the file (the list must not go stale).
"""

import importlib.util
import pathlib
import re
import sys
import unittest

import carbontracker.parser


def skip_table(doc):
    """{test name: reason} from the rows "| `test_x` | reason |" of the doc."""
    return dict(re.findall(r"^\| `(test_\w+)` \| (.+?) \|$", doc.read_text(), re.M))


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def main():
    test_file, doc = map(pathlib.Path, sys.argv[1:3])
    print(f"our parser: {carbontracker.parser.__file__}")
    spec = importlib.util.spec_from_file_location("original_test_parser", test_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    loader = unittest.defaultTestLoader
    tests = {t._testMethodName: type(t) for t in flatten(loader.loadTestsFromModule(module))}
    skips = skip_table(doc)
    stale = sorted(set(skips) - set(tests))
    if stale:
        print(f"{doc} names tests that {test_file} does not have: {', '.join(stale)}")
        return 1
    for name, reason in skips.items():
        cls = tests[name]
        setattr(cls, name, unittest.skip(reason)(getattr(cls, name)))

    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(loader.loadTestsFromModule(module))
    skipped = sorted(t._testMethodName for t, _ in result.skipped)
    print(f"original parser tests: {result.testsRun} run, {len(skipped)} skipped by name "
          f"({', '.join(skipped)}), {len(result.failures)} failed, {len(result.errors)} errors")
    ok = result.wasSuccessful() and skipped == sorted(skips)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
