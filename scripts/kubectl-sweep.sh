#!/bin/bash
# A sweep of kubectl operations against a running nodeless, counted (docs/apiserver.md,
# "Measured with real clients"). Usage: scripts/kubectl-sweep.sh KUBECONFIG [process]
# With "process" it runs the streaming operations (exec, cp, port-forward, attach, debug) on
# process-runtime pods: start that nodeless with --allow-process-runtime. Needs a fresh cluster
# (it creates fixed names). Prints PASS/FAIL counts and each failure.
set -u
export KUBECONFIG=$1
MODE=${2:-simulated}
W=$(mktemp -d)
pass=0; fail=0; F=$W/failures.txt; : > $F
t() { if out=$(timeout 90 "$@" 2>&1); then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $* :: $(echo "$out" | tail -2 | tr '\n' ' ' | cut -c1-300)" >> $F; fi; }
if [ "$MODE" = process ]; then
cat <<'Y' | kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: pp, annotations: {nodeless.dev/runtime: process}}
spec: {containers: [{name: main, image: busybox, command: [sh, -c, 'echo started; while true; do sleep 1; done']}]}
Y
Y2='apiVersion: v1
kind: Pod
metadata: {name: web, annotations: {nodeless.dev/runtime: process}, labels: {app: pweb}}
spec: {containers: [{name: main, image: python, command: [python3, -m, http.server, "8089"], ports: [{containerPort: 8089}]}]}'
echo "$Y2" | kubectl apply -f - >/dev/null
t kubectl wait --for=condition=Ready pod/pp pod/web --timeout=60s
t kubectl exec pp -- echo hi
t sh -c 'echo from-stdin | kubectl exec -i pp -- cat'
t sh -c 'kubectl exec pp -- sh -c "exit 3"; test $? -eq 3'
t kubectl logs pp
t sh -c 'timeout 3 kubectl logs -f pp; true'
t kubectl logs pp --timestamps --tail=1
echo hello > $W/cp.txt
t kubectl cp $W/cp.txt pp:/tmp/cp.txt
t kubectl cp pp:/tmp/cp.txt $W/cp-back.txt
t cmp $W/cp.txt $W/cp-back.txt
t sh -c 'kubectl port-forward pod/web :8089 > $0/pf.out 2>&1 & p=$!; for i in $(seq 1 50); do grep -q Forwarding $0/pf.out && break; sleep 0.2; done; a=$(grep -o "127.0.0.1:[0-9]*" $0/pf.out | head -1); ok=1; for i in $(seq 1 50); do curl -sf http://$a/ >/dev/null && { ok=0; break; }; sleep 0.2; done; kill $p; exit $ok' $W
t kubectl expose pod web --port=80 --target-port=8089
t kubectl get --raw "/api/v1/namespaces/default/services/web:80/proxy/"
t kubectl get --raw "/api/v1/namespaces/default/pods/web:8089/proxy/"
t sh -c 'timeout 3 kubectl attach pp; true'
t kubectl debug pp --image=busybox --profile=general -c dbg -- echo dbg
t kubectl debug pp --copy-to=pp-copy --image=busybox --container=main -- sh -c 'sleep 30'
t kubectl top pod pp
t kubectl delete pod pp web pp-copy --wait

else
cat > $W/dep.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.25, resources: {requests: {cpu: 100m}}}]}
Y
t kubectl version
t kubectl cluster-info
t kubectl api-resources
t kubectl api-resources -o wide
t kubectl api-versions
t kubectl explain pods
t kubectl explain deployment.spec.strategy
t kubectl explain pods --recursive
t kubectl get nodes
t kubectl get nodes -o wide
t kubectl describe nodes
t kubectl get ns
t kubectl create ns sweep
t kubectl create -f $W/dep.yaml
t kubectl rollout status deployment/web --timeout=60s
t kubectl get deploy web -o yaml
t kubectl get deploy,rs,pods -l app=web
t kubectl get pods -o json
t kubectl get pods -o jsonpath='{.items[*].metadata.name}'
t kubectl get pods -o custom-columns=N:.metadata.name
t kubectl get pods --show-labels
t kubectl get pods -w --request-timeout=2s --watch-only=false -o name
t kubectl describe deployment web
t kubectl describe pods -l app=web
t kubectl scale deployment web --replicas=3
t kubectl wait --for=condition=Available deployment/web --timeout=60s
t kubectl label deployment web tier=front
t kubectl annotate deployment web note=hi
t kubectl patch deployment web -p '{"spec":{"replicas":2}}'
t kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":2}]'
t kubectl patch deployment web --type=merge -p '{"metadata":{"labels":{"m":"1"}}}'
t kubectl set image deployment/web web=nginx:1.26
t kubectl rollout status deployment/web --timeout=90s
t kubectl rollout history deployment/web
t kubectl rollout undo deployment/web
t kubectl rollout restart deployment/web
t kubectl rollout pause deployment/web
t kubectl rollout resume deployment/web
t kubectl set env deployment/web FOO=bar
t kubectl set resources deployment/web --limits=cpu=200m
t kubectl autoscale deployment web --min=1 --max=3 --cpu-percent=80
t kubectl get hpa
t kubectl expose deployment web --port=80
t kubectl get svc web -o wide
t kubectl get endpoints web
t kubectl get endpointslices
t kubectl apply -f $W/dep.yaml
t kubectl apply --server-side -f $W/dep.yaml --force-conflicts
t kubectl diff -f $W/dep.yaml
t kubectl create configmap cm1 --from-literal=a=b
t kubectl create secret generic s1 --from-literal=a=b
t kubectl create secret tls t1 --cert=$(dirname $KUBECONFIG)/pki/ca.crt --key=$(dirname $KUBECONFIG)/pki/ca.key
t kubectl create serviceaccount sa1
t kubectl create token sa1
t kubectl create role r1 --verb=get --resource=pods
t kubectl create rolebinding rb1 --role=r1 --serviceaccount=default:sa1
t kubectl create clusterrole cr1 --verb=get --resource=nodes
t kubectl create clusterrolebinding crb1 --clusterrole=cr1 --user=u1
t kubectl auth can-i list pods
t kubectl auth can-i get pods --as=system:serviceaccount:default:sa1
t kubectl auth can-i --list
t kubectl auth whoami
t kubectl auth reconcile -f <(kubectl get role r1 -o yaml)
t kubectl create job j1 --image=busybox -- echo hi
t kubectl wait --for=condition=complete job/j1 --timeout=90s
t kubectl create cronjob cj1 --image=busybox --schedule='*/5 * * * *' -- echo hi
t kubectl create job j2 --from=cronjob/cj1
t kubectl create deployment d2 --image=nginx --replicas=1
t kubectl create service clusterip s2 --tcp=80:80
t kubectl create ingress ing1 --rule='foo.com/=s2:80'
t kubectl create priorityclass pc1 --value=100
t kubectl create quota q1 --hard=pods=100
t kubectl create poddisruptionbudget pdb1 --selector=app=web --min-available=1
t kubectl run p1 --image=nginx
t kubectl wait --for=condition=Ready pod/p1 --timeout=60s
t kubectl logs p1
t kubectl logs deployment/web
t kubectl get events
t kubectl events
t kubectl events --for=pod/p1
t kubectl top nodes
t kubectl top pods
t kubectl cordon $(kubectl get nodes -o name | head -1 | cut -d/ -f2)
t kubectl uncordon $(kubectl get nodes -o name | head -1 | cut -d/ -f2)
t kubectl taint nodes $(kubectl get nodes -o name | head -1 | cut -d/ -f2) k=v:NoSchedule
t kubectl taint nodes $(kubectl get nodes -o name | head -1 | cut -d/ -f2) k=v:NoSchedule-
t kubectl get all
t kubectl get all -A
t kubectl get crd
t kubectl get --raw /healthz
t kubectl get --raw /readyz?verbose
t kubectl get --raw /metrics
t kubectl get --raw /openapi/v2
t kubectl get --raw /openapi/v3
t kubectl get componentstatuses
t kubectl config view
t kubectl config get-contexts
t kubectl delete pod p1 --wait
t kubectl delete deployment d2
t kubectl delete -f $W/dep.yaml
t kubectl delete cm cm1 s1 --ignore-not-found
t kubectl delete secret s1 t1
t kubectl delete job j1 j2
t kubectl delete ns sweep --wait
t kubectl delete all -l app=nothing
t kubectl get pods --field-selector=status.phase=Running
t kubectl get pods --sort-by=.metadata.name
t kubectl get pods --chunk-size=1
kubectl get svc s2 -o yaml > $W/s2.yaml; t kubectl replace --force -f $W/s2.yaml
t kubectl label ns default sweep=yes --overwrite
t kubectl get ns -l sweep=yes

t sh -c 'kubectl proxy --port=0 > $0/proxy.out 2>&1 & p=$!; for i in $(seq 1 50); do grep -q Starting $0/proxy.out && break; sleep 0.2; done; kill $p; grep -q Starting $0/proxy.out' $W
N=$(kubectl get nodes -o name | head -1 | cut -d/ -f2)
cat > $W/crd.yaml <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}, scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}}
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {cronSpec: {type: string}, replicas: {type: integer}}}, status: {type: object, properties: {replicas: {type: integer}}}}}}
Y
printf 'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: my-ct}\nspec: {cronSpec: "* * * * */5", replicas: 1}\n' > $W/ct.yaml
t kubectl apply -f $W/crd.yaml
t kubectl wait --for=condition=Established crd/crontabs.stable.example.com
t kubectl apply -f $W/ct.yaml
t kubectl get ct
t kubectl get crontabs -o yaml
t kubectl explain crontab.spec
t kubectl scale crontab my-ct --replicas=3
t kubectl patch crontab my-ct --subresource=status --type=merge -p '{"status":{"replicas":3}}'
t kubectl get crontab my-ct --subresource=status
t kubectl get crontab my-ct --subresource=scale
t kubectl delete ct my-ct
t kubectl delete -f $W/crd.yaml
t kubectl create deployment e1 --image=nginx
t kubectl rollout status deployment/e1 --timeout=60s
t env EDITOR=true kubectl edit deployment e1
t env KUBE_EDITOR="sed -i s/replicas:\ 1/replicas:\ 2/" kubectl edit deployment e1
t kubectl get deployment e1 --subresource=scale
t kubectl wait --for=jsonpath='{.status.readyReplicas}'=2 deployment/e1 --timeout=60s
t kubectl delete deployment e1 --cascade=foreground
t kubectl wait --for=delete deployment/e1 --timeout=60s
t kubectl create deployment e2 --image=nginx --replicas=2
t kubectl rollout status deployment/e2 --timeout=60s
t kubectl drain $N --ignore-daemonsets --delete-emptydir-data --dry-run=server
t kubectl uncordon $N
t kubectl label pods -l app=e2 x=y
t kubectl annotate pods -l app=e2 x=y
t kubectl label pods -l app=e2 x-
t kubectl apply --prune -l app=prune -f <(kubectl create cm pr --from-literal=a=b --dry-run=client -o yaml | sed 's/^metadata:/metadata:\n  labels: {app: prune}/')
t kubectl get cm pr
t kubectl create deployment dry --image=nginx --dry-run=server -o yaml
t kubectl create deployment dry --image=nginx --dry-run=client -o yaml
t kubectl set selector svc s2 'app=web'
t kubectl set serviceaccount deployment e2 sa1
t kubectl set subject rolebinding rb1 --user=u2
t kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'
t kubectl get pods -A --field-selector=metadata.namespace=default
t kubectl get deploy e2 -o jsonpath='{.status.conditions[?(@.type=="Available")].status}'
t kubectl get --raw '/apis/apps/v1/namespaces/default/deployments?limit=1'
t kubectl get csr
t kubectl create secret docker-registry dr --docker-server=x --docker-username=u --docker-password=p
t kubectl delete secret dr
t kubectl get secret -o name
t kubectl get sa default -o yaml
t kubectl get leases -A
t kubectl get priorityclasses
t kubectl get storageclasses
t kubectl get pvc
t kubectl get apiservices
t kubectl get validatingwebhookconfigurations
t kubectl get flowschemas
t kubectl get --raw /version
t kubectl delete deployment e2

fi
echo "PASS $pass FAIL $fail"
cat $F
