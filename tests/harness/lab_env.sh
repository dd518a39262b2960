# shellcheck shell=bash
# lab_env.sh: source it (`. tests/harness/lab_env.sh`) to get the names tests use
# for the lab that lab_up.sh brings up. Sets variables only; no side effects.

LAB_HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LAB_HARNESS_DIR
export LAB_DIR=/tmp/crid-lab
export LAB_REGISTRY=localhost:5000
export LAB_TLS_REGISTRY_HOSTS="registry.k8s.io gcr.io"
export LAB_PAUSE_IMAGE=registry.k8s.io/pause:3.10
export LAB_BUSYBOX_IMAGE=localhost:5000/busybox:1.36
export LAB_NGINX_IMAGE=localhost:5000/e2e-test-images/nginx:1.14-2
export LAB_CNI_CONF=$LAB_HARNESS_DIR/cni/10-crid-test.conflist
export LAB_CNI_BIN_DIR=/usr/lib/cni
export LAB_DOCKER_SOCK=/var/run/docker.sock
export DOCKER_HOST=unix://$LAB_DOCKER_SOCK
export LAB_AUTH_REGISTRY=localhost:5443
export LAB_AUTH_USER=crid
export LAB_AUTH_PASSWORD=crid-lab-secret
export LAB_AUTH_IMAGE=$LAB_AUTH_REGISTRY/private/busybox:1.36
