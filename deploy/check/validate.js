#!/usr/bin/env node
// Validates rendered Kubernetes objects against the API schemas (kubernetes-models:
// the OpenAPI schemas of Kubernetes 1.x; @kubernetes-models/prometheus-operator and
// @kubernetes-models/keda: the CRDs' schemas). Every object must have a schema: an
// unknown apiVersion/kind is an error, never silently skipped.
//
//   node validate.js RENDERED.yaml...     one line per object, exit 1 on any error
//   node validate.js --self-test          broken objects must be refused (exit 1 if not)
//
// The schemas do not forbid unknown fields (Kubernetes' OpenAPI has no
// additionalProperties: false), so a misspelt optional field passes; see docs/deploy.md.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// apiVersion -> the package whose folders hold that group's models.
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  }
  if (group === "keda.sh") return `@kubernetes-models/keda/${group}/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}`
                      : `kubernetes-models/${group}/${version}/${kind}`;
}

// One error line per problem, or [] when the object matches its schema.
function validate(object) {
  if (!object || typeof object !== "object") return ["not an object"];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind are required strings"];
  }
  let Model;
  try {
    Model = require(modulePath(apiVersion, kind))[kind];
  } catch (e) {
    return [`no schema for ${apiVersion} ${kind}`];
  }
  if (!object.metadata || !object.metadata.name) return ["metadata.name is required"];
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    const details = (e.errors || []).map((x) => `${x.instancePath || "/"} ${x.message}`);
    return details.length ? details : [String(e.message || e)];
  }
}

function checkFiles(paths) {
  let failed = 0, checked = 0;
  for (const path of paths) {
    for (const object of yaml.loadAll(fs.readFileSync(path, "utf8"))) {
      if (object == null) continue;
      const name = `${path}: ${object.kind} ${object.metadata && object.metadata.name}`;
      const errors = validate(object);
      checked++;
      if (errors.length) {
        failed++;
        console.log(`FAIL ${name}`);
        for (const e of errors) console.log(`     ${e}`);
      } else {
        console.log(`ok   ${name} (${object.apiVersion})`);
      }
    }
  }
  console.log(`validate: ${checked} objects, ${failed} failed`);
  return failed === 0 && checked > 0;
}

function selfTest() {
  const pod = { containers: [{ name: "c", image: "i" }] };
  const broken = {
    "replicas is a string": { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" },
      spec: { replicas: "two", selector: {}, template: { spec: pod } } },
    "selector missing": { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" },
      spec: { template: { spec: pod } } },
    "probe port is a list": { apiVersion: "v1", kind: "Pod", metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "i", livenessProbe: { grpc: { port: [1] } } }] } },
    "unknown kind": { apiVersion: "v1", kind: "Podd", metadata: { name: "p" } },
    "ServiceMonitor without selector": { apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor", metadata: { name: "s" }, spec: { endpoints: [] } },
    "PrometheusRule rule without expr": { apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule", metadata: { name: "r" },
      spec: { groups: [{ name: "g", rules: [{ alert: "A" }] }] } },
    "ScaledObject without triggers": { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject",
      metadata: { name: "s" }, spec: { scaleTargetRef: { name: "d" } } },
  };
  const good = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" },
    spec: { selector: { matchLabels: { a: "b" } }, template: { spec: pod } } };
  let ok = validate(good).length === 0;
  if (!ok) console.log(`FAIL a valid Deployment was refused: ${validate(good)}`);
  for (const [what, object] of Object.entries(broken)) {
    const errors = validate(object);
    console.log(`${errors.length ? "ok  " : "FAIL"} refused: ${what}${errors.length ? ` (${errors[0]})` : ""}`);
    ok = ok && errors.length > 0;
  }
  return ok;
}

const args = process.argv.slice(2);
const ok = args[0] === "--self-test" ? selfTest() : checkFiles(args);
process.exit(ok ? 0 : 1);
