package e2e

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Kubernetes reads exactly what the constructs meant: every hostile string of the corpus (e2e/yaml-corpus.ts),
// written by the library's serializer, is read back by sigs.k8s.io/yaml — the reader of kubectl, the API
// server and Flux — as the same value; a string no YAML file can carry failed at synth, saying where.
func TestYAMLExactness(t *testing.T) {
	var entries []struct {
		Value, Field, YAML, JSON, Error string
	}
	readJSON(t, filepath.Join(env.inputs, "yaml-corpus.json"), &entries)
	values := map[string]bool{}
	failed := 0
	for _, e := range entries {
		values[e.Value] = true
		if e.YAML == "" {
			if !strings.Contains(e.Error, "lone UTF-16 surrogate") {
				t.Errorf("%s in %s: want a synth error naming the lone surrogate, got %q", e.Value, e.Field, e.Error)
				failed++
			}
			continue
		}
		var got, want any
		if err := yaml.Unmarshal([]byte(e.YAML), &got); err != nil {
			t.Errorf("%q in %s: sigs.k8s.io/yaml cannot read it: %v\n%s", e.Value, e.Field, err, e.YAML)
			failed++
			continue
		}
		if err := json.Unmarshal([]byte(e.JSON), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			t.Errorf("%q in %s: sigs.k8s.io/yaml reads\n  %s\nbut the constructs meant\n  %s\nfrom\n%s", e.Value, e.Field, g, e.JSON, e.YAML)
			failed++
		}
	}
	stage("yaml", "%d hostile values through %d fields: %d read back differently by sigs.k8s.io/yaml", len(values), len(entries), failed)
}
