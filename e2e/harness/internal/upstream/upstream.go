// Package upstream finds the pinned upstream releases (e2e/upstream/go.mod) in the Go module cache
// and reads their CRDs and release manifests.
package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"cdk8s-tekton-flux/e2e/harness/internal/flux"
)

// Modules maps each module of e2e/upstream/go.mod to its folder in the module cache.
type Modules map[string]string

// Load downloads (once; then from the cache) the modules pinned in upstreamDir/go.mod.
func Load(upstreamDir string) (Modules, error) {
	cmd := exec.Command("go", "mod", "download", "-json")
	cmd.Dir = upstreamDir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download in %s: %w", upstreamDir, err)
	}
	mods := Modules{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m struct{ Path, Version, Dir string }
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		mods[m.Path] = m.Dir
	}
	return mods, nil
}

// Objects reads the YAML files matching each glob (relative to the module's folder), in order.
func (m Modules) Objects(module string, globs ...string) ([]*unstructured.Unstructured, error) {
	dir, ok := m[module]
	if !ok {
		return nil, fmt.Errorf("%s is not pinned in e2e/upstream/go.mod", module)
	}
	var all []*unstructured.Unstructured
	for _, g := range globs {
		files, err := filepath.Glob(filepath.Join(dir, g))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s has no %s", module, g)
		}
		sort.Strings(files)
		objs, err := flux.ReadFiles(files)
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	return all, nil
}

// Filter keeps the objects of the given kinds.
func Filter(objs []*unstructured.Unstructured, kinds ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		for _, k := range kinds {
			if o.GetKind() == k {
				out = append(out, o)
			}
		}
	}
	return out
}

const (
	Pipeline     = "github.com/tektoncd/pipeline"
	Triggers     = "github.com/tektoncd/triggers"
	Source       = "github.com/fluxcd/source-controller"
	Kustomize    = "github.com/fluxcd/kustomize-controller"
	Notification = "github.com/fluxcd/notification-controller"
	// ExternalSecrets generates a listener's token (ListenerTokenSource.externalSecretsPassword).
	ExternalSecrets = "github.com/external-secrets/external-secrets"
	// Pruner is built from its module zip (e2e/upstream/module-zips.txt), not from go.mod: see WithPruner.
	Pruner = "github.com/tektoncd/pruner"
)

// WithPruner adds Tekton Pruner's folder (unpacked from its module zip by e2e/run.sh).
func (m Modules) WithPruner(dir string) Modules {
	m[Pruner] = dir
	return m
}

// PrunerRelease is what Tekton Pruner's controller reads: its logging and observability ConfigMaps and
// its global config, set to `enforcedConfigLevel: namespace` as the README tells users to install it.
func (m Modules) PrunerRelease() ([]*unstructured.Unstructured, error) {
	cms, err := m.Objects(Pruner, "config/config-logging.yaml", "config/config-observability.yaml", "config/600-tekton-pruner-default-spec.yaml")
	if err != nil {
		return nil, err
	}
	out := Filter(cms, "ConfigMap")
	for _, cm := range out {
		if cm.GetName() == "config-observability-tekton-pruner" {
			// Tekton's controller already serves metrics on this machine's :9090.
			cm.Object["data"] = map[string]any{"metrics-protocol": "none", "tracing-protocol": "none"}
		}
		if cm.GetName() == "tekton-pruner-default-spec" {
			if err := unstructured.SetNestedField(cm.Object, "enforcedConfigLevel: namespace\n", "data", "global-config"); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// CRDs are the CustomResourceDefinitions of the pinned Tekton Pipelines, Tekton Triggers, Flux and External
// Secrets Operator releases (all of ESO's: its controller watches its stores and generator states too).
func (m Modules) CRDs() ([]*unstructured.Unstructured, error) {
	var all []*unstructured.Unstructured
	for _, src := range []struct{ mod, glob string }{
		{Pipeline, "config/300-crds/*.yaml"},
		{Triggers, "config/300-*.yaml"},
		{Source, "config/crd/bases/*.yaml"},
		{Kustomize, "config/crd/bases/*.yaml"},
		{Notification, "config/crd/bases/*.yaml"},
		{ExternalSecrets, "config/crds/bases/*.yaml"},
	} {
		objs, err := m.Objects(src.mod, src.glob)
		if err != nil {
			return nil, err
		}
		all = append(all, Filter(objs, "CustomResourceDefinition")...)
	}
	return all, nil
}

// Release is what Tekton's controller and the listener need of the releases besides the CRDs: the
// tekton-pipelines Namespace, Tekton's ConfigMaps at their release values and Triggers' ClusterRoles.
func (m Modules) Release() ([]*unstructured.Unstructured, error) {
	ns, err := m.Objects(Pipeline, "config/100-namespace/*.yaml")
	if err != nil {
		return nil, err
	}
	cms, err := m.Objects(Pipeline, "config/config-*.yaml")
	if err != nil {
		return nil, err
	}
	roles, err := m.Objects(Triggers, "config/200-clusterrole.yaml")
	if err != nil {
		return nil, err
	}
	out := append(Filter(ns, "Namespace"), Filter(cms, "ConfigMap")...)
	return append(out, Filter(roles, "ClusterRole")...), nil
}
