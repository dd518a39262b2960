#!/bin/bash
# go_pod_run.sh POD NAMESPACE UID PAUSE_IMAGE APP_IMAGE: a running pod as
# the Go cri-dockerd leaves it in Docker, made with the docker CLI: a
# host-network sandbox container k8s_POD_<pod>_<ns>_<uid>_0 and an app
# container k8s_app_<pod>_<ns>_<uid>_0, with the Go shim's names and labels,
# the app's log symlink under /var/log/pods, and the sandbox's checkpoint
# /var/lib/cri-dockerd/sandbox/<sandbox id> in the Go shim's JSON (a file
# the Go code wrote: tests/unit/cri/store/sandbox_checkpoint_test.cc's
# "host network" vector; the checksum covers only "data", so the pod's name
# and namespace can change). Prints go_pod=<sandbox id> and
# go_container=<app id>. Runs in the node tier's node (node_test.sh pipes
# it in).
set -euo pipefail

pod=${1:?POD} ns=${2:?NAMESPACE} uid=${3:?UID} pause=${4:?PAUSE_IMAGE} app_image=${5:?APP_IMAGE}
pod_labels=(--label "io.kubernetes.pod.name=$pod" --label "io.kubernetes.pod.namespace=$ns"
  --label "io.kubernetes.pod.uid=$uid")

sandbox=$(docker run -d --name "k8s_POD_${pod}_${ns}_${uid}_0" --network host \
  --ipc shareable \
  --label io.kubernetes.docker.type=podsandbox --label io.kubernetes.container.name=POD \
  "${pod_labels[@]}" --label annotation.kubernetes.io/config.source=api "$pause")

mkdir -p /var/lib/cri-dockerd/sandbox
printf '{"version":"v1","name":"%s","namespace":"%s","data":{"host_network":true},"checksum":12315789}' \
  "$pod" "$ns" >"/var/lib/cri-dockerd/sandbox/$sandbox"

log=/var/log/pods/${ns}_${pod}_${uid}/app/0.log
app=$(docker run -d --name "k8s_app_${pod}_${ns}_${uid}_0" --network host \
  --ipc "container:$sandbox" \
  --label io.kubernetes.docker.type=container --label "io.kubernetes.sandbox.id=$sandbox" \
  --label io.kubernetes.container.name=app --label "io.kubernetes.container.logpath=$log" \
  "${pod_labels[@]}" --label annotation.io.kubernetes.container.restartCount=0 \
  "$app_image" sh -c "trap 'exit 0' TERM; echo go-app-started; while :; do sleep 1; done")
# The Go shim links the CRI log path to Docker's json-file log.
mkdir -p "$(dirname "$log")"
ln -sfn "$(docker inspect -f '{{.LogPath}}' "$app")" "$log"

printf 'go_pod=%s\ngo_container=%s\n' "$sandbox" "$app"
