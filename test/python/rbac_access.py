"""The official Python client making RBAC objects and asking what they grant (driven by
test/auth/rbac.test.ts): a Role and a RoleBinding through RbacAuthorizationV1Api, then
SubjectAccessReviews through AuthorizationV1Api for what the binding allows and what it does not.

Usage: rbac_access.py KUBECONFIG NAMESPACE USER

Prints one JSON line per review; exits non-zero on any failure.
"""
import json
import signal
import sys

from kubernetes import client, config

kubeconfig, namespace, user = sys.argv[1:4]
signal.alarm(60)  # never hang the test run
config.load_kube_config(config_file=kubeconfig)
rbac = client.RbacAuthorizationV1Api()
rbac.create_namespaced_role(namespace, client.V1Role(
    metadata=client.V1ObjectMeta(name="py-reader"),
    rules=[client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["get", "list"])]))
rbac.create_namespaced_role_binding(namespace, client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="py-reader"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="py-reader"),
    subjects=[(getattr(client, "RbacV1Subject", None) or client.V1Subject)(api_group="rbac.authorization.k8s.io", kind="User", name=user)]))

authz = client.AuthorizationV1Api()
for verb in ["get", "list", "delete"]:
    review = authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=user, resource_attributes=client.V1ResourceAttributes(namespace=namespace, verb=verb, resource="configmaps"))))
    print(json.dumps({"verb": verb, "allowed": review.status.allowed, "reason": review.status.reason}))
