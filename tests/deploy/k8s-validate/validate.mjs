// Validates Kubernetes objects against the API's OpenAPI schemas, via kubernetes-models
// (its generated validators: required fields, types, enums, formats).
//
//   node validate.mjs < objects.json      (a JSON array of objects)
//
// Prints one JSON line per object: {"i": N, "kind": ..., "name": ..., "ok": bool,
// "error": "..."}. Exit status 0 when all are valid, 1 otherwise, 2 on bad input.
// Unknown fields are NOT rejected (the validators allow extra properties); apiVersion/
// kind pairs that kubernetes-models does not know are reported as errors.
import { readFileSync } from "node:fs";

let objects;
try {
  objects = JSON.parse(readFileSync(0, "utf8"));
} catch (e) {
  console.error(`validate: input is not a JSON array: ${e.message}`);
  process.exit(2);
}

let bad = 0;
for (const [i, obj] of objects.entries()) {
  const apiVersion = obj?.apiVersion ?? "";
  const kind = obj?.kind ?? "";
  const name = obj?.metadata?.name ?? "";
  const mod = apiVersion.includes("/") ? apiVersion : `v1`;
  let result = { i, apiVersion, kind, name, ok: true };
  try {
    const m = await import(`kubernetes-models/${mod}/${kind}`);
    const Model = m[kind] ?? m.default;
    if (!Model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
    new Model(obj).validate();
  } catch (e) {
    result = { ...result, ok: false, error: String(e.message ?? e).slice(0, 2000) };
    bad++;
  }
  console.log(JSON.stringify(result));
}
process.exit(bad ? 1 : 0);
