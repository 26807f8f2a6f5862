#!/usr/bin/env python3
"""Assembles the carbontracker wheel from a staged tree (scripts/build-wheel.sh).

    make-wheel.py PYPROJECT STAGE TAG OUT_DIR

STAGE holds carbontracker/ (the package: the .py files and
libcarbontracker.so) and scripts/carbontracker (the executable). Writes
OUT_DIR/<name>-<version>-<TAG>.whl with its .dist-info: METADATA from
pyproject.toml's [project], WHEEL with the one tag TAG (e.g.
py3-none-manylinux_2_28_x86_64: the package is pure Python over a C library
and an executable, so one wheel serves every CPython 3), and RECORD with the
sha256 of each file. The executable goes to <name>-<version>.data/scripts/, so
pip installs it as the environment's bin/<name>, its mode 0755 kept.
The archive is reproducible: sorted entries, fixed dates.
Prints the wheel's path.
"""
import base64
import hashlib
import os
import stat
import sys
import tomllib
import zipfile

DATE = (1980, 1, 1, 0, 0, 0)


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
    ]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    for req in project.get("dependencies", []):
        lines.append(f"Requires-Dist: {req}")
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[1])
    pyproject, stage, tag, out_dir = sys.argv[1:]
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    name, version = project["name"], project["version"]
    dist_info = f"{name}-{version}.dist-info"
    data_dir = f"{name}-{version}.data"

    entries = []  # (archive name, bytes, mode)
    package = os.path.join(stage, name)
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for fname in sorted(files):
            if fname.endswith(".pyc"):
                continue
            path = os.path.join(root, fname)
            arc = os.path.relpath(path, stage)
            with open(path, "rb") as f:
                entries.append((arc, f.read(), stat.S_IMODE(os.stat(path).st_mode)))
    scripts = os.path.join(stage, "scripts")
    for fname in sorted(os.listdir(scripts)) if os.path.isdir(scripts) else []:
        path = os.path.join(scripts, fname)
        with open(path, "rb") as f:
            entries.append((f"{data_dir}/scripts/{fname}", f.read(), 0o755))

    wheel_file = f"Wheel-Version: 1.0\nGenerator: carbontracker (scripts/make-wheel.py)\nRoot-Is-Purelib: false\nTag: {tag}\n"
    entries.append((f"{dist_info}/METADATA", metadata(project).encode(), 0o644))
    entries.append((f"{dist_info}/WHEEL", wheel_file.encode(), 0o644))
    record = [f"{arc},{record_hash(data)},{len(data)}" for arc, data, _ in entries]
    record.append(f"{dist_info}/RECORD,,")
    entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))

    os.makedirs(out_dir, exist_ok=True)
    wheel = os.path.join(out_dir, f"{name}-{version}-{tag}.whl")
    tmp = wheel + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data, mode in entries:
            info = zipfile.ZipInfo(arc, DATE)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    os.replace(tmp, wheel)
    print(wheel)


if __name__ == "__main__":
    main()
