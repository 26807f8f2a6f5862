#!/usr/bin/env python3
"""Every relative link in README.md, CONTRIBUTING.md and doc/*.md resolves.

usage: link_check.py REPO_ROOT         check the documentation
       link_check.py --self-test       check the checker on made-up pages

A link resolves when its file or directory exists (relative to the page that
links to it) and, for `FILE.md#anchor` or `#anchor`, when the target page has
a heading whose slug is `anchor` by GitHub's rules: the heading's text as
rendered (no backticks, a link's text only), lower-cased, every character
that is not a letter, digit, space, hyphen or underscore removed, spaces made
hyphens; the second heading of the same slug gets `-1`, the third `-2`. An
HTML `id="..."` or `name="..."` is an anchor too. Links with a scheme
(https:, mailto:) are not checked: the tests run offline. Links inside code
blocks and code spans are not links.
"""
import glob
import os
import re
import sys
import tempfile
import urllib.parse

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_ID = re.compile(r"<[^>]+\b(?:id|name)=\"([^\"]+)\"")


def slug(text):
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text)                       # inline HTML tags
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w: letters, digits, underscore (Unicode)
    return text.replace(" ", "-")


def strip_code(lines):
    """The lines outside fenced code blocks, with code spans blanked; each
    as (line number, text)."""
    out, fence = [], None
    for n, line in enumerate(lines, 1):
        m = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        out.append((n, re.sub(r"(`+)(?:(?!\1).)+?\1", "``", line)))
    return out


def anchors(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        found, seen = set(), {}
        body = strip_code(lines)
        raw = {n: lines[n - 1] for n, _ in body}
        for i, (n, text) in enumerate(body):
            title = None
            m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+\s*)?$", raw[n])
            if m:
                title = m.group(1)
            elif (i + 1 < len(body) and body[i + 1][0] == n + 1 and text.strip()
                  and re.match(r"^\s{0,3}(=+|-+)\s*$", body[i + 1][1])
                  and not re.match(r"^\s{0,3}([-*+]|\d+\.)\s", text)):
                title = raw[n].strip()  # setext heading
            if title is not None:
                s = slug(title)
                k = seen.get(s, 0)
                seen[s] = k + 1
                found.add(s if k == 0 else f"{s}-{k}")
            found.update(HTML_ID.findall(text))
        cache[path] = found
    return cache[path]


def links(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, text in strip_code(lines):
        for m in LINK.finditer(text):
            yield n, m.group(1)
        m = REFDEF.match(text)
        if m:
            yield n, m.group(1)


def check_page(page):
    problems = []
    for n, target in links(page):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            continue  # https:, mailto:, ...: not checked offline
        url = urllib.parse.urlsplit(target)
        rel, frag = urllib.parse.unquote(url.path), urllib.parse.unquote(url.fragment)
        dest = os.path.normpath(os.path.join(os.path.dirname(page), rel)) if rel else page
        where = f"{page}:{n}: {target}"
        if not os.path.exists(dest):
            problems.append(f"{where}: no such file {dest}")
            continue
        if frag and dest.endswith(".md") and os.path.isfile(dest):
            if frag not in anchors(dest):
                problems.append(f"{where}: {dest} has no heading with the slug '{frag}'")
    return problems


def pages(root):
    found = [os.path.join(root, p) for p in ("README.md", "CONTRIBUTING.md")]
    found += sorted(glob.glob(os.path.join(root, "doc", "*.md")))
    return [p for p in found if os.path.exists(p)]


def self_test():
    cases = {
        "Differences from the original": "differences-from-the-original",
        "What is measured, and how": "what-is-measured-and-how",
        "The C interface (C, Fortran and other languages)":
            "the-c-interface-c-fortran-and-other-languages",
        '"Could not read CPU/DRAM energy consumption due to lack of read-permissions."':
            "could-not-read-cpudram-energy-consumption-due-to-lack-of-read-permissions",
        "The `--json` record": "the---json-record",
        "snake_case and [a link](x.md)": "snake_case-and-a-link",
        "Énergie à 100 %": "énergie-à-100-",
    }
    bad = [f"slug({k!r}) = {slug(k)!r}, not {v!r}" for k, v in cases.items() if slug(k) != v]
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "doc"))
        with open(os.path.join(d, "doc", "a.md"), "w") as f:
            f.write("# A\n\n## Twice\n\n## Twice\n\nSetext\n------\n\n"
                    "```\n[in a fence](missing.md)\n```\n`[in a span](missing.md)`\n")
        with open(os.path.join(d, "README.md"), "w") as f:
            f.write("# R\n[ok](doc/a.md#twice-1) [ok](doc/a.md#setext) [ok](#r) "
                    "[ok](doc/) [ok](https://example.invalid/x)\n"
                    "[gone](doc/b.md) [no anchor](doc/a.md#twice-2) [self](#nope)\n"
                    "[ref]: doc/c.md\n")
        got = sorted(p.split(": ", 2)[1] for p in check_page(os.path.join(d, "README.md")))
        want = sorted(["#nope", "doc/a.md#twice-2", "doc/b.md", "doc/c.md"])
        if got != want:
            bad.append(f"broken links found {got}, expected {want}")
        if check_page(os.path.join(d, "doc", "a.md")):
            bad.append("links in code were checked")
    for b in bad:
        print("FAIL (self-test):", b)
    return not bad


def main():
    if sys.argv[1:] == ["--self-test"]:
        ok = self_test()
        print("link checker self-test passed" if ok else "link checker self-test failed")
        return 0 if ok else 1
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if not self_test():
        return 1
    checked = pages(sys.argv[1])
    problems = [p for page in checked for p in check_page(page)]
    for p in problems:
        print("broken link:", p)
    n = sum(1 for page in checked for _ in links(page))
    print(f"{len(checked)} pages, {n} links, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
