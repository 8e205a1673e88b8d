#!/usr/bin/env python3
"""List every environment variable the StatusHawk programs read, from their C sources.

    tests/deploy/envvars.py [ROOT]          one name per line, sorted
    tests/deploy/envvars.py --verbose ROOT  name, then where it is read

Sources: every *.c / *.h under the repository's top-level directories except tests/,
bench/, web/, deploy/ and build output (so the three executables and their common
library, including directories added later). Comments are stripped first.

A variable is found in three forms:
  1. a configuration table entry:  {"NAME", CONFIG_INT, ...}  or  RC("NAME", CONFIG_..., ...)
     (any string literal directly followed by `, CONFIG_`), or the literal first argument
     of a function-like macro whose body mentions CONFIG_ (X("NAME") with
     #define X(n) {n, CONFIG_INT, ...});
  2. a call of an *accessor* with a literal:  getenv("NAME"), secure_getenv("NAME"),
     and any function that passes its own parameter to an accessor (found to a fixpoint,
     e.g. config.c's env_value(name) -> getenv(name), so env_value("DB_NAME") counts);
  3. an accessor called with a computed name (getenv(keys[i][0]), env_value(name)): the
     UPPER_SNAKE string literals of the enclosing function are taken as the names it may
     read ("DB_HOST" ... in a table, name = "CELERY_BROKER_URL"). A computed read of a
     configuration table's .name member is form 1. A computed read in a function with
     no such literal cannot be resolved: it is reported and the exit status is 1, so the
     list can never silently miss a variable.
"""
import os
import re
import sys

SKIP_DIRS = {"tests", "bench", "web", "deploy", "node_modules", "scripts", "docs", "cmake"}
BASE_ACCESSORS = {"getenv", "secure_getenv"}
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else"}


def strip_comments(src):
    """Removes /* */ and // comments, keeps string and char literals (and line count)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def source_files(root):
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if not os.path.isdir(path) or entry.startswith(".") or entry.startswith("build") \
                or entry in SKIP_DIRS:
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dirpath, f)


FUNC_DEF = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^;{}()]*)\)\s*\{")


def functions(text):
    """Yields (name, params, body, body_offset) for every function definition."""
    for m in FUNC_DEF.finditer(text):
        name = m.group(1)
        if name in C_KEYWORDS:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            c = text[i]
            if c == '"' or c == "'":
                j = i + 1
                while j < len(text) and text[j] != c:
                    j += 2 if text[j] == "\\" else 1
                i = j
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        params = [p.strip().split()[-1].lstrip("*") for p in m.group(2).split(",")
                  if p.strip() and p.strip() != "void"]
        yield name, params, text[m.end():i - 1], m.end()


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def extract(root):
    texts = {}
    for path in source_files(root):
        with open(path, encoding="utf-8", errors="replace") as fh:
            texts[os.path.relpath(path, root)] = strip_comments(fh.read())

    # Accessors: the base ones, plus every function that hands its parameter to one.
    accessors = set(BASE_ACCESSORS)
    changed = True
    while changed:
        changed = False
        for text in texts.values():
            for name, params, body, _ in functions(text):
                if name in accessors:
                    continue
                for p in params:
                    if re.search(r"\b(?:%s)\s*\(\s*%s\s*\)" % ("|".join(sorted(accessors)),
                                                            re.escape(p)), body):
                        accessors.add(name)
                        changed = True
                        break

    found = {}        # name -> set of "file:line"
    unresolved = []   # "file:line: call"

    def add(name, where):
        found.setdefault(name, set()).add(where)

    # Function-like macros that build table entries ({name, CONFIG_INT, ...} in their body):
    # a literal first argument of such a macro is a variable too.
    entry_macros = set()
    for text in texts.values():
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)", text, re.M):
            if "CONFIG_" in m.group(3):
                entry_macros.add(m.group(1))

    acc_re = "|".join(sorted(accessors, key=len, reverse=True))
    for rel, text in texts.items():
        for m in re.finditer(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*CONFIG_[A-Z_]+', text):
            add(m.group(1), "%s:%d" % (rel, line_of(text, m.start())))
        if entry_macros:
            for m in re.finditer(r'\b(?:%s)\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)"' % "|".join(sorted(entry_macros)), text):
                add(m.group(1), "%s:%d" % (rel, line_of(text, m.start())))
        for m in re.finditer(r'\b(?:%s)\s*\(\s*"([^"]+)"\s*\)' % acc_re, text):
            add(m.group(1), "%s:%d" % (rel, line_of(text, m.start())))
        for fname, params, body, off in functions(text):
            for m in re.finditer(r'\b(%s)\s*\(\s*([^")][^)]*)\)' % acc_re, body):
                arg = m.group(2).strip()
                where = "%s:%d" % (rel, line_of(text, off + m.start()))
                if arg in params and fname in accessors:
                    continue          # an accessor passing its parameter on
                if re.search(r"\.\s*name$", arg) or re.search(r"->\s*name$", arg):
                    continue          # a configuration table's .name: form 1
                names = [s for s in re.findall(r'"([^"\\]*)"', body) if ENV_NAME.match(s)]
                if not names:
                    unresolved.append("%s: %s(%s) in %s()" % (where, m.group(1), arg, fname))
                for s in names:
                    add(s, where + " (computed read in %s)" % fname)
    return found, unresolved, sorted(accessors)


def main(argv):
    verbose = "--verbose" in argv
    args = [a for a in argv if a != "--verbose"]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    found, unresolved, accessors = extract(os.path.abspath(root))
    for name in sorted(found):
        if verbose:
            print("%-34s %s" % (name, ", ".join(sorted(found[name]))))
        else:
            print(name)
    if verbose:
        print("# accessors: %s" % ", ".join(accessors), file=sys.stderr)
    for u in unresolved:
        print("envvars: cannot tell which variable is read at %s" % u, file=sys.stderr)
    return 1 if unresolved else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
