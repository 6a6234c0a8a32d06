#!/usr/bin/env bash
# `npm run e2e`: the control-plane suite. Builds (once; then from a cache) etcd, kube-apiserver, kubectl,
# Tekton Pipelines' controller, Tekton Triggers' EventListener sink, Tekton Pruner, Flux's
# notification-controller and External Secrets Operator's controller from their Go modules, writes the suite's inputs from this checkout, and runs
# the Go suite in e2e/harness.
#
# Needs: Go (see e2e/*/go.mod for the version), curl, and the Go module proxy on a cold cache; no
# container runtime, no cluster, no internet besides the module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command -v go >/dev/null || { echo "e2e: Go is required (https://go.dev/dl/); see README 'Tests'" >&2; exit 2; }

# The upstream versions the harness builds must be the ones pinned in e2e/upstream (whose CRDs it installs).
for mod in github.com/tektoncd/pipeline github.com/tektoncd/triggers; do
  pinned=$(cd e2e/upstream && go list -m -f '{{.Version}}' "$mod")
  built=$(cd e2e/harness && go list -m -f '{{.Version}}' "$mod")
  if [ "$pinned" != "$built" ]; then
    echo "e2e: $mod is $pinned in e2e/upstream/go.mod but $built in e2e/harness/go.mod: pin one version" >&2
    exit 2
  fi
done

# Binaries are cached by the hash of everything that determines them.
key=$(cat e2e/run.sh e2e/controlplane/go.mod e2e/controlplane/go.sum e2e/controlplane/etcd/main.go \
  e2e/harness/go.mod e2e/harness/go.sum e2e/upstream/go.mod e2e/upstream/go.sum e2e/upstream/module-zips.txt \
  "$(go env GOROOT)/VERSION" | sha256sum | cut -c1-16)
cache=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-tekton-flux-e2e}
bin=$cache/bin-$key

# Tekton Pruner, from its module zip (see e2e/upstream/module-zips.txt): downloaded from the Go module
# proxy, checked against the pinned SHA-256, unpacked into the cache.
read -r pruner_mod pruner_version pruner_sha < <(grep '^github.com/tektoncd/pruner ' e2e/upstream/module-zips.txt)
pruner_src=$cache/zips/$pruner_mod@$pruner_version
if [ ! -f "$pruner_src/go.mod" ]; then
  proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -m1 '^http')
  zip=$cache/zips/pruner-$pruner_version.zip
  mkdir -p "$cache/zips"
  curl -fsSL -o "$zip.tmp" "$proxy/$pruner_mod/@v/$pruner_version.zip"
  echo "$pruner_sha  $zip.tmp" | sha256sum -c --quiet - || { echo "e2e: $pruner_mod $pruner_version: the zip's SHA-256 is not the pinned one" >&2; exit 2; }
  rm -rf "$cache/zips/$pruner_mod@$pruner_version"
  if command -v unzip >/dev/null; then unzip -q -d "$cache/zips" "$zip.tmp"; else python3 -m zipfile -e "$zip.tmp" "$cache/zips"; fi
  mv "$zip.tmp" "$zip"
fi

if [ ! -x "$bin/external-secrets" ]; then
  echo "e2e: building etcd, kube-apiserver, kubectl, Tekton's controller, the Triggers sink, Tekton Pruner, Flux's notification-controller and ESO's controller into $bin"
  echo "e2e: (a cold build takes 15-25 minutes on 2 cores; later runs reuse it)"
  rm -rf "$bin.tmp" && mkdir -p "$bin.tmp"
  start=$(date +%s)
  # The version a release build stamps in (hack/lib/version.sh): clients such as Tekton's controller
  # check the server's version and refuse the unstamped "v0.0.0-master+$Format:%H$".
  k8s=$(cd e2e/controlplane && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  minor=$(echo "$k8s" | cut -d. -f2)
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd e2e/controlplane && go build -ldflags "$ldflags" -o "$bin.tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl \
    && go build -o "$bin.tmp/" ./etcd)
  (cd e2e/harness && go build -o "$bin.tmp/" github.com/tektoncd/pipeline/cmd/controller github.com/tektoncd/triggers/cmd/eventlistenersink)
  (cd "$pruner_src" && go build -o "$bin.tmp/pruner-controller" ./cmd/controller)
  # Flux's notification-controller at the version e2e/upstream pins, built in a copy of its module: its
  # go.mod replaces its api module with ./api, which the module zip leaves out, so the copy takes the
  # published api module of the same version instead (go.sum gains its checksums, verified as usual).
  nc_mod=github.com/fluxcd/notification-controller
  nc_version=$(cd e2e/upstream && go list -m -f '{{.Version}}' "$nc_mod")
  nc_src=$cache/src/notification-controller@$nc_version
  nc_dir=$(cd e2e/upstream && go mod download "$nc_mod" && go list -m -f '{{.Dir}}' "$nc_mod")
  rm -rf "$nc_src" && mkdir -p "$cache/src" && cp -r "$nc_dir" "$nc_src" && chmod -R u+w "$nc_src"
  (cd "$nc_src" && go mod edit -replace "$nc_mod/api=$nc_mod/api@$nc_version" && GOFLAGS=-mod=mod go build -o "$bin.tmp/notification-controller" .)
  # External Secrets Operator's controller (it generates a listener's token: ListenerTokenSource.externalSecretsPassword),
  # built inside its module: the module's own go.mod and go.sum pin and verify what it imports.
  eso_mod=github.com/external-secrets/external-secrets
  eso_dir=$(cd e2e/upstream && go mod download "$eso_mod" && go list -m -f '{{.Dir}}' "$eso_mod")
  (cd "$eso_dir" && go build -o "$bin.tmp/external-secrets" .)
  mv "$bin.tmp" "$bin"
  echo "e2e: built in $(( $(date +%s) - start ))s"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-tekton-flux-e2e.XXXXXX")
keep=${E2E_KEEP:-}
cleanup() { if [ -z "$keep" ]; then rm -rf "$work"; else echo "e2e: work folder kept: $work"; fi; }
trap cleanup EXIT

npx ts-node --transpile-only --project tsconfig.dev.json e2e/inputs.ts "$work/inputs"
# the CLI as users run it (resume, rerun), compiled
npx tsc -p tsconfig.json --outDir e2e/.work/lib  # inside the repo, so that it finds node_modules

cd e2e/harness
E2E_BIN=$bin E2E_PRUNER_SRC=$pruner_src E2E_INPUTS=$work/inputs E2E_WORK=$work E2E_CLI=$root/e2e/.work/lib/src/cli/bin.js go test -count=1 -v -timeout 30m ${E2E_RUN:+-run "$E2E_RUN"} . || {
  status=$?
  keep=1
  exit $status
}
