"""The official Python client's watch against nodeless (driven by test/api/clients.test.ts).

Usage: watch_pods.py KUBECONFIG NAMESPACE POD

Creates POD, watches pods in NAMESPACE with watch.Watch().stream(v1.list_namespaced_pod),
labels the pod once its ADDED event arrives, and stops at the MODIFIED event that carries
the label. Prints one JSON line per event it saw; exits non-zero if the stream ends first.
"""
import json
import signal
import sys

from kubernetes import client, config, watch

kubeconfig, namespace, name = sys.argv[1:4]
signal.alarm(90)  # never hang the test run
config.load_kube_config(config_file=kubeconfig)
v1 = client.CoreV1Api()
v1.create_namespaced_pod(namespace, {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
    "spec": {"containers": [{"name": "app", "image": "nginx"}]},
})

w = watch.Watch()
labelled = False
for event in w.stream(v1.list_namespaced_pod, namespace=namespace, timeout_seconds=60):
    pod = event["object"]
    print(json.dumps({
        "type": event["type"],
        "class": type(pod).__name__,
        "name": pod.metadata.name,
        "resourceVersion": pod.metadata.resource_version,
        "labels": pod.metadata.labels or {},
    }), flush=True)
    if pod.metadata.name != name:
        continue
    if event["type"] == "ADDED" and not labelled:
        v1.patch_namespaced_pod(name, namespace, {"metadata": {"labels": {"seen": "yes"}}})
        labelled = True
    if event["type"] == "MODIFIED" and (pod.metadata.labels or {}).get("seen") == "yes":
        w.stop()
        sys.exit(0)
sys.exit("the watch ended before the MODIFIED event of the labelled pod")
