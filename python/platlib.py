"""Prints where `cmake --install` puts the package, relative to install prefix argv[1].

The path is the interpreter's platlib for that prefix: Debian's interpreter
finds lib/python3.X/dist-packages under /usr/local and lib/python3/dist-packages
under /usr; any other prefix gets the generic posix_prefix layout
(lib/python3.X/site-packages). Being relative, it follows
`cmake --install BUILD --prefix P` to P.
"""
import os
import sys
import sysconfig

prefix = os.path.normpath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit(
    "usage: platlib.py INSTALL_PREFIX")
schemes = sysconfig.get_scheme_names()
if prefix == "/usr/local" and "posix_local" in schemes:
    scheme, base = "posix_local", "/usr"  # the scheme itself appends "local/"
elif prefix == "/usr" and "deb_system" in schemes:
    scheme, base = "deb_system", "/usr"
else:
    scheme, base = "posix_prefix", prefix
path = sysconfig.get_path("platlib", scheme, vars={"base": base, "platbase": base})
print(os.path.relpath(path, prefix))
