// Package flux applies manifests the way Flux's kustomize-controller does: with
// github.com/fluxcd/pkg/ssa's ResourceManager, field manager kustomize-controller, staged (CRDs,
// ClusterRoles and Namespaces first), server-side dry-run before each apply.
package flux

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	ssautil "github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Manager is kustomize-controller's apply machinery, pointed at one cluster.
type Manager struct {
	*ssa.ResourceManager
	Client client.Client
}

// NewManager builds a ResourceManager as kustomize-controller does, owned by Kustomization
// flux-system/e2e (the owner labels Flux sets).
func NewManager(cfg *rest.Config) (*Manager, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Mapper: mapper})
	if err != nil {
		return nil, err
	}
	poller := polling.NewStatusPoller(c, mapper, polling.Options{})
	m := ssa.NewResourceManager(c, poller, ssa.Owner{Field: "kustomize-controller", Group: "kustomize.toolkit.fluxcd.io"})
	return &Manager{ResourceManager: m, Client: c}, nil
}

// ReadFolder reads every *.yaml file of dir (sorted by name) with Flux's own reader
// (sigs.k8s.io/yaml, as kustomize-controller reads a build).
func ReadFolder(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return ReadFiles(files)
}

// ReadFiles reads the objects of YAML files, in order, with Flux's own reader.
func ReadFiles(files []string) ([]*unstructured.Unstructured, error) {
	var all []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := ssautil.ReadObjects(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: Flux cannot read it: %w", f, err)
		}
		all = append(all, objs...)
	}
	return all, nil
}

// Apply applies objects as one Kustomization reconciliation does and returns the change set.
func (m *Manager) Apply(ctx context.Context, objects []*unstructured.Unstructured) (*ssa.ChangeSet, error) {
	copies := make([]*unstructured.Unstructured, len(objects))
	for i, o := range objects {
		copies[i] = o.DeepCopy()
	}
	m.SetOwnerLabels(copies, "e2e", "flux-system")
	opts := ssa.DefaultApplyOptions()
	opts.WaitTimeout = time.Minute
	return m.ApplyAllStaged(ctx, copies, opts)
}

// Drift lists the entries of a change set that are not Unchanged.
func Drift(cs *ssa.ChangeSet) []string {
	var out []string
	for _, e := range cs.Entries {
		if e.Action != ssa.UnchangedAction {
			out = append(out, e.String())
		}
	}
	return out
}

// Key names an object as kind/namespace/name.
func Key(o *unstructured.Unstructured) string {
	return strings.Join([]string{o.GetKind(), o.GetNamespace(), o.GetName()}, "/")
}
