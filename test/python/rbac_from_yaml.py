"""The official Python client creating RBAC and networking objects from a manifest (driven by
test/api/kinds-auth.test.ts): kubernetes.utils.create_from_yaml picks each kind's typed API
(RbacAuthorizationV1Api.create_namespaced_role and friends), then the objects are read back
through the typed APIs.

Usage: rbac_from_yaml.py KUBECONFIG MANIFEST NAMESPACE

Prints one JSON line per object read back; exits non-zero on any failure.
"""
import json
import signal
import sys

from kubernetes import client, config, utils

kubeconfig, manifest, namespace = sys.argv[1:4]
signal.alarm(60)  # never hang the test run
config.load_kube_config(config_file=kubeconfig)
api = client.ApiClient()
created = utils.create_from_yaml(api, manifest, namespace=namespace)
print(json.dumps({"created": [type(o).__name__ for group in created for o in group]}))

rbac = client.RbacAuthorizationV1Api()
role = rbac.read_namespaced_role("py-role", namespace)
print(json.dumps({"kind": "Role", "name": role.metadata.name, "verbs": role.rules[0].verbs, "resources": role.rules[0].resources}))
binding = rbac.read_namespaced_role_binding("py-binding", namespace)
print(json.dumps({"kind": "RoleBinding", "roleRef": binding.role_ref.to_dict(), "subjects": [s.to_dict() for s in binding.subjects]}))
crb = rbac.read_cluster_role_binding("py-cluster-binding")
print(json.dumps({"kind": "ClusterRoleBinding", "roleRef": crb.role_ref.name, "subjects": [s.name for s in crb.subjects]}))
names = sorted(r.metadata.name for r in rbac.list_cluster_role().items if r.metadata.name.startswith("py-"))
print(json.dumps({"kind": "ClusterRoleList", "names": names}))

net = client.NetworkingV1Api()
ing = net.read_namespaced_ingress("py-ingress", namespace)
# The client reads .status straight after a create: kube-apiserver returns {"loadBalancer": {}}.
print(json.dumps({"kind": "Ingress", "status": ing.status.to_dict(), "class": ing.spec.ingress_class_name}))
