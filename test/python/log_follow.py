"""The official Python client following a pod's log against nodeless (driven by test/api/clients.test.ts).

Usage: log_follow.py KUBECONFIG NAMESPACE POD GO_FILE

The pod prints "ready", waits for GO_FILE (a path in its container) to exist, then prints "after".
This follows its log with read_namespaced_pod_log(follow=True, _preload_content=False), creates
GO_FILE in the container (an exec through kubernetes.stream) once "ready" came through the open
stream, and exits 0 when "after" comes through the same stream: the second line can only arrive
if the response streams. Prints each line it read.
"""
import signal
import sys

from kubernetes import client, config
from kubernetes.stream import stream

kubeconfig, namespace, name, go_file = sys.argv[1:5]
signal.alarm(90)  # never hang the test run
config.load_kube_config(config_file=kubeconfig)
v1 = client.CoreV1Api()
resp = v1.read_namespaced_pod_log(name, namespace, follow=True, timestamps=True, _preload_content=False)
buffered = b""
for chunk in resp.stream(64):
    buffered += chunk
    while b"\n" in buffered:
        line, buffered = buffered.split(b"\n", 1)
        text = line.decode()
        print(text, flush=True)
        if text.endswith(" ready"):
            stream(client.CoreV1Api().connect_get_namespaced_pod_exec, name, namespace, command=["touch", go_file],
                   stderr=True, stdin=False, stdout=True, tty=False)
        if text.endswith(" after"):
            resp.release_conn()
            sys.exit(0)
sys.exit("the log stream ended before the line written after " + go_file + " appeared")
