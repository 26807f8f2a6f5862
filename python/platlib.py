"""Prints where `cmake --install` should put the package for install prefix argv[1].

Debian's interpreter finds /usr/local/lib/python3.X/dist-packages (prefix
/usr/local) and /usr/lib/python3/dist-packages (prefix /usr); any other
prefix gets the interpreter's generic posix_prefix layout.
"""
import sys
import sysconfig

prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
if prefix == "/usr/local" and "posix_local" in schemes:
    scheme, base = "posix_local", "/usr"  # the scheme itself appends "local/"
elif prefix == "/usr" and "deb_system" in schemes:
    scheme, base = "deb_system", "/usr"
else:
    scheme, base = "posix_prefix", prefix
print(sysconfig.get_path("platlib", scheme, vars={"base": base, "platbase": base}))
