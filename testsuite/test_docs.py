"""The documentation matches the tree it ships in (no QEMU).

Every markdown file of the repository (build/ and git's own files aside) is
read, and:

- every repository path it names (`os/...`, `user/...`, `docs/...`, ...,
  anywhere in the text, and any path with a file extension inside a code
  span, taken from the top of the tree or from the document's own folder)
  exists; `*`, `[ch]` and placeholder words in capitals (NAME, MODE) match
  like shell globs, and examples for the reader to create (`my_policy.c`)
  are exempt, as are the names a document lists in a comment
  `<!-- example names: getcmdline t_cmdline.c -->` (a worked example of
  code that is not in the tree);
- every file named without its folder (`memlayout.h`) is somewhere in
  the tree;
- every `make TARGET` in a code span or a code block is a target of the
  Makefile (read now, so targets added since this test was written count);
- every function written as `name()` in a code span is defined or declared
  somewhere in the sources;
- user/README.md mentions every program in user/programs/.
"""
import fnmatch
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SKIP_DIRS = {"build", ".git", "results", "__pycache__", ".pytest_cache"}

# Top-level folders whose paths the docs name.
PREFIXES = ("os", "user", "sched_abi", "sched_impls", "scripts", "testsuite",
            "docs", "bench")

# Paths that exist only once something has run.
GENERATED = ("testsuite/results", "bench/results")

PATH_RE = re.compile(
    r"(?<![\w./-])((?:%s)/[\w.*%%\[\]-]*(?:/[\w.*%%\[\]-]*)*)" % "|".join(PREFIXES))
CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")
FENCE_RE = re.compile(r"^```.*?^```", re.M | re.S)
# A relative path inside a code span: has a slash and a file extension.
REL_PATH_RE = re.compile(r"^[\w.-]+(?:/[\w.*\[\]-]+)+\.(?:c|h|S|py|md|ld|mk|sh|dts)$")
# Capitalised placeholders in paths: NAME, MODE, N.
# (Also after an underscore: sys_AREA.c, t_NAME.c.)
PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]*(?![a-z0-9])")
EXAMPLE_NAMES_RE = re.compile(r"<!--\s*example names:([^>]*)-->")


def example_names(text):
    """Names a document declares to be a worked example, not in the tree."""
    return {n for m in EXAMPLE_NAMES_RE.finditer(text) for n in m.group(1).split()}


def is_example(name, examples):
    parts = name.rstrip(".,;:)").split("/")
    return any(part.startswith("my_") for part in parts) or parts[-1] in examples


def markdown_files():
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".md"):
                out.append(os.path.join(dirpath, f))
    return out


DOCS = markdown_files()


def doc_id(path):
    return os.path.relpath(path, ROOT)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def path_exists(candidate, base=ROOT):
    """Does a path as written in a doc name something in the tree?"""
    p = candidate.rstrip(".,;:)")
    if p.endswith("]") and "[" not in p:   # a markdown link: [text](path)
        p = p.rstrip("]")
    p = re.sub(r":[\w]*$", "", p)          # file.c:function
    if p.startswith(GENERATED) or os.path.basename(p).startswith("my_"):
        return True                        # made by a run, or an example
    pattern = PLACEHOLDER_RE.sub("*", p)
    if p.endswith("/"):
        pattern = pattern.rstrip("/")
    matches = glob.glob(os.path.join(base, pattern))
    if p.endswith("/"):
        matches = [m for m in matches if os.path.isdir(m)]
    return bool(matches)


def named_paths(text):
    """(path, relative_ok) pairs a document names."""
    found = []
    for m in PATH_RE.finditer(text):
        p = m.group(1).rstrip(".")
        if "/" in p.rstrip("/"):             # not just "os/" as a word
            found.append((p, False))
        elif p.endswith("/"):
            found.append((p, False))
    for m in CODE_SPAN_RE.finditer(text):
        span = m.group(1).strip()
        if REL_PATH_RE.match(span) and not span.startswith(PREFIXES + ("build/",)):
            found.append((span, True))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_named_paths_exist(doc):
    text = read(doc)
    here = os.path.dirname(doc)
    examples = example_names(text)
    missing = []
    for p, relative_ok in named_paths(text):
        if is_example(p, examples):
            continue
        if path_exists(p) or (relative_ok and path_exists(p, here)):
            continue
        missing.append(p)
    assert not missing, (
        f"{doc_id(doc)} names paths that do not exist: "
        + ", ".join(sorted(set(missing))))


BARE_FILE_RE = re.compile(r"^[\w.\[\]-]+\.(?:c|h|S|py|md|ld|mk|sh|dts|\[ch\])$")


def tree_file_names():
    names = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames
                       if d not in SKIP_DIRS and not d.startswith(".")]
        names.update(filenames)
    return names


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_named_files_exist(doc, _names=[]):
    """A file named without its folder (`memlayout.h`) is somewhere in the
    tree.  Examples a reader is to create (`my_policy.c`) are exempt."""
    if not _names:
        _names.append(tree_file_names())
    names = _names[0]
    text = read(doc)
    examples = example_names(text)
    missing = []
    for m in CODE_SPAN_RE.finditer(text):
        span = m.group(1).strip()
        if not BARE_FILE_RE.match(span) or is_example(span, examples):
            continue
        pattern = PLACEHOLDER_RE.sub("*", span)
        if not any(fnmatch.fnmatch(n, pattern) for n in names):
            missing.append(span)
    assert not missing, (f"{doc_id(doc)} names files found nowhere in the "
                         "tree: " + ", ".join(sorted(set(missing))))


# ---- make targets ----

def makefile_targets():
    """Explicit and pattern targets of the Makefile and what it includes,
    with $(VAR) expanded from plain assignments."""
    texts = []
    todo = ["Makefile"]
    while todo:
        name = todo.pop()
        path = os.path.join(ROOT, name)
        if not os.path.exists(path):
            continue
        text = read(path).replace("\\\n", " ")
        texts.append(text)
        for inc in re.findall(r"^-?include\s+(\S+)", text, re.M):
            if "$" not in inc:
                todo.append(inc)
    text = "\n".join(texts)
    variables = {}
    for m in re.finditer(r"^([A-Za-z_][\w]*)\s*(?::=|\?=|=)\s*(.*)$", text, re.M):
        variables.setdefault(m.group(1), m.group(2).strip())

    def expand(s, depth=0):
        # Only plain $(VAR) references; a make function ($(patsubst ...))
        # makes the whole text unknown (None).
        if depth > 5 or re.search(r"\$\(\w+[\s,]", s):
            return None
        parts = []
        for piece in re.split(r"(\$\(\w+\))", s):
            m = re.match(r"^\$\((\w+)\)$", piece)
            if m:
                piece = expand(variables.get(m.group(1), ""), depth + 1)
                if piece is None:
                    return None
            parts.append(piece)
        return "".join(parts)

    targets = set()
    for m in re.finditer(r"^([^\s#=:][^=:\n]*?)\s*::?(?!=)", text, re.M):
        names = expand(m.group(1))
        if names is not None:
            targets.update(t for t in names.split()
                           if "$" not in t and not t.startswith("-"))
    for m in re.finditer(r"^\.PHONY\s*:(.*)$", text, re.M):
        names = expand(m.group(1))
        if names is not None:
            targets.update(names.split())
    return targets


MAKE_RE = re.compile(r"(?:^|[\s$(])make((?:\s+[^\s`|;&)#]+)*)")


def make_targets_named(text):
    """The targets of `make ...` commands in code spans and code blocks."""
    chunks = [m.group(1) for m in CODE_SPAN_RE.finditer(FENCE_RE.sub("", text))]
    for block in FENCE_RE.findall(text):
        chunks.extend(block.splitlines()[1:-1])
    found = []
    for chunk in chunks:
        for m in MAKE_RE.finditer(chunk):
            for word in m.group(1).split():
                if word.startswith("-") or "=" in word:
                    continue
                if not re.match(r"^[\w./%-]+$", word):
                    break
                found.append(word)
                break                      # the target; the rest are its args
    return found


def test_make_targets_exist():
    targets = makefile_targets()
    assert {"all", "run", "test"} <= targets, "could not read the Makefile's targets"
    missing = []
    for doc in DOCS:
        for t in make_targets_named(read(doc)):
            if t in targets:
                continue
            if any("%" in pat and fnmatch.fnmatch(t, pat.replace("%", "*"))
                   for pat in targets):
                continue
            missing.append(f"{doc_id(doc)}: make {t}")
    assert not missing, ("docs name make targets the Makefile does not have: "
                         + "; ".join(missing))


# ---- functions ----

def source_text():
    chunks = []
    for top in ("os", "user", "sched_abi", "sched_impls", "scripts", "testsuite"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for f in filenames:
                if f.endswith((".c", ".h", ".S", ".py", ".ld", ".mk")):
                    chunks.append(read(os.path.join(dirpath, f)))
    return "\n".join(chunks)


FUNC_RE = re.compile(r"^([A-Za-z_]\w*)\(\)$")


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_named_functions_exist(doc, _sources=[]):
    if not _sources:
        _sources.append(source_text())
    src = _sources[0]
    text = read(doc)
    examples = example_names(text)
    missing = []
    for m in CODE_SPAN_RE.finditer(text):
        f = FUNC_RE.match(m.group(1).strip())
        if f and f.group(1) not in examples and not re.search(r"\b%s\s*\(" % re.escape(f.group(1)), src) \
                and not re.search(r"^\s*%s:" % re.escape(f.group(1)), src, re.M):
            missing.append(f.group(1))
    assert not missing, (f"{doc_id(doc)} names functions found nowhere in the "
                         "sources: " + ", ".join(sorted(set(missing))))


# ---- every program is documented ----

def test_every_program_in_user_readme():
    readme = read(os.path.join(ROOT, "user", "README.md"))
    progs = sorted(os.path.basename(p)[:-2] for p in
                   glob.glob(os.path.join(ROOT, "user", "programs", "*.c")))
    assert len(progs) > 10
    missing = [p for p in progs if not re.search(r"`%s(?![\w])" % re.escape(p), readme)]
    assert not missing, (
        "user/README.md does not document these programs of user/programs/: "
        + ", ".join(missing)
        + ". Add one line for each to its table of programs (in the right "
        "group: tools, t_* tests, b_* benchmarks, h_* hostile programs), "
        "saying what it does and how the tests use it.")
