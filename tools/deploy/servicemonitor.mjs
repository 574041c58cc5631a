// SPDX-License-Identifier: GPL-2.0
// node servicemonitor.mjs FILE.json: validates a ServiceMonitor with the
// schema validator of @kubernetes-models/prometheus-operator (compiled
// from the Prometheus operator's CRDs): types, required fields, patterns
// and enums. Unknown fields are left to the TypeScript check of
// tools/check-deploy.sh (the CRD schema does not forbid them; the API
// server prunes them). Run from the directory the package is installed
// in. Prints "valid" or the errors; exit status 1 when invalid.
import { readFileSync } from "node:fs";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const obj = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (obj.apiVersion !== "monitoring.coreos.com/v1" || obj.kind !== "ServiceMonitor") {
	console.log(`not a monitoring.coreos.com/v1 ServiceMonitor: ${obj.apiVersion} ${obj.kind}`);
	process.exit(1);
}
try {
	new ServiceMonitor(obj).validate();
	console.log("valid");
} catch (e) {
	console.log(e.message);
	process.exit(1);
}
