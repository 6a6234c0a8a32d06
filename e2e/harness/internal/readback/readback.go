// Package readback compares what the constructs meant with what the API server holds: every field
// the library wrote must be there with the same value. Fields the server adds (status, defaults,
// managedFields, uid, ...) are ignored; a value that YAML parsing changed on the way (a string that
// became a number, a character lost) is a difference.
package readback

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Diff lists the paths where live does not hold what intended says.
func Diff(intended, live any) []string {
	var out []string
	diff("", normalize(intended), normalize(live), &out)
	return out
}

// normalize gives both sides JSON's types (float64 numbers, []any, map[string]any).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func diff(path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: want an object, the API server has %s", or(path), show(got)))
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if !present {
				if isEmpty(w[k]) {
					continue // an empty list or object the server drops is the same state
				}
				*out = append(*out, fmt.Sprintf("%s.%s: missing on the API server (want %s)", path, k, show(w[k])))
				continue
			}
			diff(path+"."+k, w[k], gv, out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: want %s, the API server has %s", or(path), show(want), show(got)))
			return
		}
		for i := range w {
			diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: want %s, the API server has %s", or(path), show(want), show(got)))
		}
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func or(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func show(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
