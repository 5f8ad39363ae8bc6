#!/usr/bin/python3
"""docs/openapi.yaml against the routes the server really has (issue 13).

Three sources, none of them a list written in this test:
  * docs/openapi.yaml, parsed with Debian's python3-yaml;
  * the route table (sdk/security/roles Routes(): every planned route and its access rule),
    printed by //sdk/security/roles:route_table;
  * the routes ews-server registers on its HTTPS server (`ews-server --list_routes`).
Checks: the file is OpenAPI 3 with every $ref resolving, every path parameter declared, the
cookie + CSRF security schemes and an error schema; every route of the table is documented with
its access rule and the right security; no route the server registers is undocumented; no
documented route is missing from the server; the server registers only routes of the table.
Until every planned route is served, the last checks name the gaps.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ews_client  # noqa: E402

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def template_to_pattern(path):
    return re.sub(r"\{[^/}]+\}", "*", path)


def matches(pattern, path):
    """A registered path (exact, or with "*" segments) against a documented pattern."""
    want, have = pattern.split("/"), path.split("/")
    return len(want) == len(have) and all(
        w == h or (w == "*" and h != "") for w, h in zip(want, have))


def resolve(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def main():
    check = ews_client.Checks()

    with open("docs/openapi.yaml") as f:
        doc = yaml.safe_load(f)

    # --- the file itself
    check("openapi is 3.x", str(doc.get("openapi", "")).startswith("3."))
    unresolved = []
    for ref in set(refs(doc)):
        try:
            resolve(doc, ref)
        except (KeyError, TypeError):
            unresolved.append(ref)
    check("every $ref resolves", not unresolved, ", ".join(sorted(unresolved)))
    schemes = doc["components"]["securitySchemes"]
    check("security schemes: the session cookie and the CSRF header",
          schemes.get("sessionCookie", {}).get("in") == "cookie"
          and schemes.get("csrfToken", {}).get("in") == "header"
          and schemes.get("csrfToken", {}).get("name") == "X-CSRF-Token")
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    check("the error shape has status, code and message", {"status", "code", "message"} <= set(error))

    documented = {}  # (METHOD, pattern) -> operation
    problems = []
    for path, item in doc["paths"].items():
        declared_in_path = set(re.findall(r"\{([^/}]+)\}", path))
        for method, operation in item.items():
            if method not in METHODS:
                continue
            key = (method.upper(), template_to_pattern(path))
            documented[key] = operation
            where = "%s %s" % key
            if not operation.get("summary") or not operation.get("responses"):
                problems.append(where + ": no summary or responses")
            params = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if params != declared_in_path:
                problems.append(where + ": path parameters %s vs %s" % (params, declared_in_path))
            for status, answer in operation["responses"].items():
                answer = resolve(doc, answer["$ref"]) if "$ref" in answer else answer
                if str(status).startswith(("4", "5")):
                    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                    if schema.get("$ref") != "#/components/schemas/Error":
                        problems.append(where + ": %s answer is not the error shape" % status)
            access = operation.get("x-ews-access")
            security = operation.get("security")
            if access == "public":
                if security != []:
                    problems.append(where + ": public but has security")
            else:
                needs_csrf = method not in ("get", "head", "options")
                names = set().union(*[set(s) for s in security or [{}]])
                expected = {"sessionCookie", "csrfToken"} if needs_csrf else {"sessionCookie"}
                if names != expected:
                    problems.append(where + ": security %s, expected %s" % (sorted(names), sorted(expected)))
    check("every operation is complete (summary, responses, path parameters, error shape, "
          "security matching its access rule)", not problems, "; ".join(problems))

    # --- the route table
    table = {}
    output = subprocess.run(["sdk/security/roles/route_table"], capture_output=True, text=True,
                            check=True, timeout=30).stdout
    for line in output.splitlines():
        method, pattern, access = line.split()
        table[(method, pattern)] = access
    missing = sorted("%s %s" % k for k in table if k not in documented)
    check("every route of the table (%d) is documented" % len(table), not missing, ", ".join(missing))
    wrong_access = sorted("%s %s: %s documented, %s in the table" % (*k, documented[k].get("x-ews-access"), a)
                          for k, a in table.items() if k in documented and documented[k].get("x-ews-access") != a)
    check("every documented access rule is the table's", not wrong_access, "; ".join(wrong_access))

    # --- what the server registers
    work = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(prefix="ews-openapi.")
    # The JSON API under /api/ (the WebDAV tree under /dav is not part of it). A prefix route
    # ("PREFIX /api/v1/files") serves every path below its prefix.
    listed = [(m, p) for m, p in ews_client.registered_routes(work) if p.startswith("/api/")]
    registered = [(m, p) for m, p in listed if m != "PREFIX"]
    prefixes = [p for m, p in listed if m == "PREFIX"]

    def under_prefix(path):
        return any(path == prefix or path.startswith(prefix.rstrip("/") + "/")
                   for prefix in prefixes)
    check("the server registers routes", len(registered) > 0)
    undocumented = sorted("%s %s" % (m, p) for m, p in registered
                          if not any(m == dm and matches(dp, p) for dm, dp in documented))
    undocumented += sorted("PREFIX " + p for p in prefixes
                           if not any(under_prefix(dp) for _, dp in documented))
    check("every route the server registers (%d) is documented" % len(registered), not undocumented,
          ", ".join(undocumented))
    unserved = sorted("%s %s" % (dm, dp) for dm, dp in documented
                      if not under_prefix(dp)
                      and not any(m == dm and matches(dp, p) for m, p in registered))
    check("every documented route (%d) is served" % len(documented), not unserved,
          "%d not served: %s" % (len(unserved), ", ".join(unserved)))
    outside = sorted("%s %s" % (m, p) for m, p in registered
                     if not any(m == tm and matches(tp, p) for tm, tp in table))
    outside += sorted("PREFIX " + p for p in prefixes
                      if not any(under_prefix(tp) for _, tp in table))
    check("the server registers only routes of the table (each has an access rule)", not outside,
          ", ".join(outside))

    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
