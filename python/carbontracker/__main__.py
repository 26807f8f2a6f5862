"""``python -m carbontracker [options] [--] command args...``: the carbontracker
command line (the same program as the ``carbontracker`` binary). The exit
status is the wrapped command's (see ``--help``)."""

import sys

from carbontracker._carbontracker import run_cli


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    return run_cli(["carbontracker"] + args)


if __name__ == "__main__":
    sys.exit(main())
