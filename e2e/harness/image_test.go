package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"cdk8s-tekton-flux/e2e/harness/internal/flux"
	"cdk8s-tekton-flux/e2e/harness/internal/upstream"
)

// copiedCRDsDir holds the CRDs that no Go module pinned in e2e/upstream ships (Flux's image automation), copied
// into the repository at pinned commits (test/crds-copied/SOURCE.md). The suite runs in e2e/harness.
var copiedCRDsDir = filepath.Join("..", "..", "test", "crds-copied")

// copiedCRDs reads the CustomResourceDefinitions of copiedCRDsDir's folders.
func copiedCRDs() ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(copiedCRDsDir, "*", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD in %s (test/crds-copied of the repository)", copiedCRDsDir)
	}
	sort.Strings(files)
	objs, err := flux.ReadFiles(files)
	if err != nil {
		return nil, err
	}
	return upstream.Filter(objs, "CustomResourceDefinition"), nil
}

const imageGroup = "image.toolkit.fluxcd.io"

// Flux's image automation objects (the promotion example's first hop: an ImageRepository, an ImagePolicy and an
// ImageUpdateAutomation that writes dev's markers) pass the pinned CRDs' schemas and CEL rules and Flux's
// server-side apply, read back as the constructs meant them, and do not drift. A fault planted in each is refused.
func TestImageAutomation(t *testing.T) {
	s := loadSet(t, "promotion")
	images := &inputSet{name: "image automation", intended: s.intended}
	var kinds []string
	for _, o := range s.manifests {
		if o.GroupVersionKind().Group == imageGroup {
			images.manifests = append(images.manifests, o)
			kinds = append(kinds, o.GetKind())
		}
	}
	sort.Strings(kinds)
	if got := strings.Join(kinds, " "); got != "ImagePolicy ImageRepository ImageUpdateAutomation" {
		t.Fatalf("the promotion example's image automation objects are %q, want one ImagePolicy, ImageRepository and ImageUpdateAutomation", got)
	}
	applyObjects(t, images, env.flux, env.dynamic, "apply image automation")
	defer deleteObjects(t, images.manifests)

	for _, fault := range []struct {
		name, kind, object, want string
		plant                    func(o *unstructured.Unstructured)
	}{
		{"an unknown field", "ImagePolicy", "web", "rangez", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, ">=1.0.0", "spec", "policy", "semver", "rangez")
		}},
		{"an interval without digestReflectionPolicy Always (a CEL rule of the CRD)", "ImagePolicy", "web", "spec.interval is only accepted", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "1m", "spec", "interval")
		}},
		{"a provider the CRD does not list (an enum)", "ImageRepository", "web", "Unsupported value", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "docker", "spec", "provider")
		}},
		{"an hour-long scan timeout (a pattern without hours)", "ImageRepository", "web", "spec.timeout", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "1h0m0s", "spec", "timeout")
		}},
		{"an automation without its commit author (a required field)", "ImageUpdateAutomation", "web-dev-images", "author", func(o *unstructured.Unstructured) {
			unstructured.RemoveNestedField(o.Object, "spec", "git", "commit", "author")
		}},
	} {
		t.Run("planted: "+fault.name+" is refused by Flux's apply", func(t *testing.T) {
			bad := planted(s, fault.kind, fault.object, fault.plant)
			_, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{bad})
			if err == nil || !strings.Contains(err.Error(), fault.want) {
				t.Fatalf("Flux's apply of %s with %s: want an error naming %q, got %v", flux.Key(bad), fault.name, fault.want, err)
			}
			stage("planted faults", "%s in %s refused: %s", fault.name, flux.Key(bad), firstLine(err.Error()))
		})
	}
}

// deleteObjects deletes the objects (each of a namespaced kind).
func deleteObjects(t *testing.T, objects []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objects {
		gvk := o.GroupVersionKind()
		mapping, err := env.flux.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.dynamic.Resource(mapping.Resource).Namespace(o.GetNamespace()).Delete(env.ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting %s: %v", flux.Key(o), err)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 200 {
		return line[:200] + "…"
	}
	return line
}
