"""What the official Python client gets back from DELETE (driven by test/api/delete-answer.test.ts).

Usage: delete_answers.py KUBECONFIG NAMESPACE

The generated client deserializes a DELETE's body as the type kube-apiserver's OpenAPI names:
V1Status for most kinds (a ConfigMap, a Deployment), the object for kinds whose storage returns
it (a Pod, a ServiceAccount). Prints one JSON line per delete with what the client read.
"""
import json
import signal
import sys

from kubernetes import client, config

kubeconfig, namespace = sys.argv[1:3]
signal.alarm(90)  # never hang the test run
config.load_kube_config(config_file=kubeconfig)
v1 = client.CoreV1Api()
apps = client.AppsV1Api()

cm = v1.create_namespaced_config_map(namespace, {"metadata": {"name": "py-cm"}, "data": {"a": "1"}})
st = v1.delete_namespaced_config_map("py-cm", namespace)
print(json.dumps({"what": "configmap", "class": type(st).__name__, "status": st.status,
                  "name": st.details.name, "kind": st.details.kind, "group": st.details.group,
                  "uid_matches": st.details.uid == cm.metadata.uid}))

labels = {"app": "py-del"}
dep = apps.create_namespaced_deployment(namespace, {
    "metadata": {"name": "py-dep"},
    "spec": {"selector": {"matchLabels": labels},
             "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
})
st = apps.delete_namespaced_deployment("py-dep", namespace, propagation_policy="Background")
print(json.dumps({"what": "deployment", "class": type(st).__name__, "status": st.status,
                  "name": st.details.name, "kind": st.details.kind, "group": st.details.group,
                  "uid_matches": st.details.uid == dep.metadata.uid}))

sa = v1.create_namespaced_service_account(namespace, {"metadata": {"name": "py-sa"}})
gone = v1.delete_namespaced_service_account("py-sa", namespace)
print(json.dumps({"what": "serviceaccount", "class": type(gone).__name__, "name": gone.metadata.name,
                  "uid_matches": gone.metadata.uid == sa.metadata.uid}))
