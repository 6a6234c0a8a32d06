package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"

	"cdk8s-tekton-flux/e2e/harness/internal/admission"
	"cdk8s-tekton-flux/e2e/harness/internal/flux"
	"cdk8s-tekton-flux/e2e/harness/internal/kubelet"
	"cdk8s-tekton-flux/e2e/harness/internal/listener"
	"cdk8s-tekton-flux/e2e/harness/internal/readback"
)

// inputSet is one app's output, as e2e/inputs.ts wrote it.
type inputSet struct {
	name      string
	manifests []*unstructured.Unstructured
	intended  map[string]map[string]any // by flux.Key
	events    []fluxEvent
}

type fluxEvent struct {
	Fixture  string         `json:"fixture"`
	Body     map[string]any `json:"body"`
	Listener string         `json:"listener"`
	Runs     []struct {
		Listener string         `json:"listener"`
		Object   map[string]any `json:"object"`
	} `json:"runs"`
}

func loadSet(t *testing.T, name string) *inputSet {
	t.Helper()
	dir := filepath.Join(env.inputs, name)
	objs, err := flux.ReadFolder(filepath.Join(dir, "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	s := &inputSet{name: name, manifests: objs, intended: map[string]map[string]any{}}
	var intended []map[string]any
	readJSON(t, filepath.Join(dir, "intended.json"), &intended)
	for _, o := range intended {
		s.intended[flux.Key(&unstructured.Unstructured{Object: o})] = o
	}
	readJSON(t, filepath.Join(dir, "events.json"), &s.events)
	return s
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// applySet checks every object with the webhooks' admission code, applies them as Flux does, reads
// each back, and applies again: nothing may be rejected, differ or drift. Then it creates the Secrets the
// set references but does not bring (createTokenSecrets).
func applySet(t *testing.T, s *inputSet) {
	t.Helper()
	applyObjects(t, s, env.flux, env.dynamic, "apply "+s.name)
	createTokenSecrets(t, s)
}

// applyObjects is applySet's admission, apply, read-back and re-apply, on the cluster that m and dyn reach; the
// stage line is named stageName.
func applyObjects(t *testing.T, s *inputSet, m *flux.Manager, dyn dynamic.Interface, stageName string) {
	t.Helper()
	var rejected []string
	for _, o := range s.manifests {
		if err := admission.Admit(o); err != nil {
			rejected = append(rejected, err.Error())
		}
	}
	if len(rejected) > 0 {
		t.Fatalf("%s: the admission webhooks reject %d object(s):\n%s", s.name, len(rejected), strings.Join(rejected, "\n"))
	}
	if _, err := m.Apply(env.ctx, s.manifests); err != nil {
		t.Fatalf("%s: Flux's apply failed: %v", s.name, err)
	}
	var differences []string
	for _, o := range s.manifests {
		want, ok := s.intended[flux.Key(o)]
		if !ok {
			t.Fatalf("%s: %s is in the manifests but not in what the constructs rendered", s.name, flux.Key(o))
		}
		live, err := getFrom(m, dyn, o)
		if err != nil {
			t.Fatalf("%s: reading back %s: %v", s.name, flux.Key(o), err)
		}
		for _, d := range readback.Diff(want, live.Object) {
			differences = append(differences, flux.Key(o)+" "+d)
		}
	}
	if len(differences) > 0 {
		t.Errorf("%s: the API server holds other values than the constructs meant:\n%s", s.name, strings.Join(differences, "\n"))
	}
	again, err := m.Apply(env.ctx, s.manifests)
	if err != nil {
		t.Fatalf("%s: second apply failed: %v", s.name, err)
	}
	drift := flux.Drift(again)
	if len(drift) > 0 {
		t.Errorf("%s: a second apply changed objects (drift):\n%s", s.name, strings.Join(drift, "\n"))
	}
	stage(stageName, "%d objects applied: 0 rejected, %d read-back differences, %d drift on re-apply", len(s.manifests), len(differences), len(drift))
}

// e2eToken is the shared token of every chain under test.
const e2eToken = "e2e-7d1f0c2a9b4e"

var compareSecret = regexp.MustCompile(`header\.canonical\('([^']+)'\)\.compareSecret\('([^']+)', '([^']+)'(?:, '([^']+)')?\)`)

// createTokenSecrets creates the Secrets the app references but never generates (the README's one
// command): each Provider's `headers` and each listener's token. A Secret that the set brings itself (the
// target of an ExternalSecret) is not created: External Secrets Operator's controller must make it.
func createTokenSecrets(t *testing.T, s *inputSet) {
	t.Helper()
	header := "X-Flux-Token"
	brought := map[string]bool{}
	for _, o := range s.manifests {
		if o.GetKind() == "ExternalSecret" {
			name, _, _ := unstructured.NestedString(o.Object, "spec", "target", "name")
			if name == "" {
				name = o.GetName()
			}
			brought[o.GetNamespace()+"/"+name] = true
		}
	}
	ensure := func(namespace, name string, data map[string]string) {
		if !brought[namespace+"/"+name] {
			ensureSecret(t, namespace, name, data)
		}
	}
	for _, o := range s.manifests {
		if o.GetKind() != "EventListener" && o.GetKind() != "Trigger" {
			continue
		}
		raw, _ := json.Marshal(o.Object)
		for _, m := range compareSecret.FindAllStringSubmatch(string(raw), -1) {
			header = m[1]
			// compareSecret(key, name[, namespace]): the listener's namespace unless one is named
			ns := o.GetNamespace()
			if m[4] != "" {
				ns = m[4]
			}
			ensure(ns, m[3], map[string]string{m[2]: e2eToken})
		}
	}
	for _, o := range s.manifests {
		if name, _, _ := unstructured.NestedString(o.Object, "spec", "secretRef", "name"); o.GetKind() == "Provider" && name != "" {
			ensure(o.GetNamespace(), name, map[string]string{"headers": header + ": " + e2eToken})
		}
		if name, _, _ := unstructured.NestedString(o.Object, "spec", "certSecretRef", "name"); o.GetKind() == "Provider" && name != "" {
			ensure(o.GetNamespace(), name, map[string]string{"ca.crt": string(env.cluster.CAPEM())})
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "resources", "kubernetesResource", "spec", "template", "spec", "containers")
		if o.GetKind() == "EventListener" && len(containers) > 0 {
			// valid for the listener's Service, as the Provider addresses it
			svc := "el-" + o.GetName() + "." + o.GetNamespace() + ".svc"
			cert, key, err := env.cluster.ServingCertPEM("el-"+o.GetName(), svc, svc+".cluster.local")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range containers[0].(map[string]any)["env"].([]any) {
				ref := e.(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
				ensure(o.GetNamespace(), ref["name"].(string), map[string]string{"tls.crt": string(cert), "tls.key": string(key)})
			}
		}
	}
	for key := range brought {
		ns, name, _ := strings.Cut(key, "/")
		waitGeneratedToken(t, ns, name, header)
	}
}

// waitGeneratedToken waits for External Secrets Operator to create a listener's token Secret from the set's
// ExternalSecret and checks what the Provider and the listener will read of it (generatedTokenProblem).
func waitGeneratedToken(t *testing.T, namespace, name, header string) {
	t.Helper()
	if problem := generatedTokenProblem(waitExternalSecret(t, namespace, name), name, header); problem != "" {
		t.Fatal(problem)
	}
	stage("generated token", "%s/%s: External Secrets Operator generated it from the ExternalSecret in dist/ (headers and token agree, none created by hand)", namespace, name)
}

// waitExternalSecret waits for the Secret that External Secrets Operator's controller makes.
func waitExternalSecret(t *testing.T, namespace, name string) *corev1.Secret {
	t.Helper()
	var secret *corev1.Secret
	err := wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		var err error
		secret, err = env.kube.CoreV1().Secrets(namespace).Get(env.ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("External Secrets Operator made no Secret %s/%s within a minute (%v); its log ends:\n%s", namespace, name, err,
			env.cluster.LogTail("external-secrets.log", 3000))
	}
	return secret
}

// generatedTokenProblem says what is wrong with a generated token Secret, or "": it must be owned by its
// ExternalSecret (deleted with it, remade if deleted) and hold one generated 48-character token in both keys,
// `headers` read as Flux reads it (YAML) and `token` as the listener compares it.
func generatedTokenProblem(secret *corev1.Secret, externalSecret, header string) string {
	owned := false
	for _, ref := range secret.OwnerReferences {
		owned = owned || (ref.Kind == "ExternalSecret" && ref.Name == externalSecret)
	}
	headers := map[string]string{}
	if err := yaml.Unmarshal(secret.Data["headers"], &headers); err != nil {
		return fmt.Sprintf("Secret %s/%s: headers is not the YAML Flux reads: %v", secret.Namespace, secret.Name, err)
	}
	token := string(secret.Data["token"])
	if !owned || len(token) != 48 || headers[header] != token || token == e2eToken {
		return fmt.Sprintf("Secret %s/%s: owned by ExternalSecret %s: %v; token of %d characters; headers %q carry it: %v; want an owned Secret "+
			"with one generated 48-character token in both keys", secret.Namespace, secret.Name, externalSecret, owned, len(token),
			secret.Data["headers"], headers[header] == token)
	}
	return ""
}

// ensureSecret creates the Secret, or adds the keys to it (a shared listener's one Secret holds both the
// Provider's `headers` and the listener's `token`).
func ensureSecret(t *testing.T, namespace, name string, data map[string]string) {
	t.Helper()
	secrets := env.kube.CoreV1().Secrets(namespace)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, StringData: data}
	_, err := secrets.Create(env.ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		existing, getErr := secrets.Get(env.ctx, name, metav1.GetOptions{})
		if getErr != nil {
			t.Fatal(getErr)
		}
		existing.StringData = data
		_, err = secrets.Update(env.ctx, existing, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// fluxHeaders are the headers notification-controller adds to its POSTs to the listener: those in the
// `headers` key of the Secret of the Provider that addresses it.
func fluxHeaders(t *testing.T, s *inputSet, sink *listener.Sink) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range s.manifests {
		address, _, _ := unstructured.NestedString(o.Object, "spec", "address")
		if o.GetKind() != "Provider" || !strings.Contains(address, "//el-"+sink.Name+"."+sink.Namespace+".") {
			continue
		}
		name, _, _ := unstructured.NestedString(o.Object, "spec", "secretRef", "name")
		if name == "" {
			continue
		}
		secret, err := env.kube.CoreV1().Secrets(o.GetNamespace()).Get(env.ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(secret.Data["headers"], &out); err != nil {
			t.Fatalf("Secret %s/%s headers: %v", o.GetNamespace(), name, err)
		}
	}
	return out
}

// getFrom reads an object back from the cluster that m and dyn reach.
func getFrom(m *flux.Manager, dyn dynamic.Interface, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvk := o.GroupVersionKind()
	mapping, err := m.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	r := dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		return r.Namespace(o.GetNamespace()).Get(env.ctx, o.GetName(), metav1.GetOptions{})
	}
	return r.Get(env.ctx, o.GetName(), metav1.GetOptions{})
}

// sinks are the running EventListener sinks, by namespace/name.
var sinks = map[string]*listener.Sink{}

func sinkFor(t *testing.T, s *inputSet, key string) *listener.Sink {
	t.Helper()
	if sink, ok := sinks[key]; ok {
		return sink
	}
	ns, name, _ := strings.Cut(key, "/")
	var sa string
	for _, o := range s.manifests {
		if o.GetKind() == "EventListener" && o.GetNamespace() == ns && o.GetName() == name {
			sa, _, _ = unstructured.NestedString(o.Object, "spec", "serviceAccountName")
		}
	}
	if sa == "" {
		t.Fatalf("%s: no EventListener %s with a serviceAccountName in the manifests", s.name, key)
	}
	sink, err := listener.StartSink(env.ctx, env.cluster, env.bin, ns, name, sa, listenerTLS(t, s, ns, name))
	if err != nil {
		t.Fatal(err)
	}
	sinks[key] = sink
	// the listener's Service (either port), as Flux's notification-controller addresses it
	local := strings.TrimPrefix(strings.TrimPrefix(sink.URL, "http://"), "https://")
	for _, port := range []string{"8080", "8443"} {
		env.proxy.Route("el-"+name+"."+ns+".svc.cluster.local:"+port, local)
	}
	return sink
}

// listenerTLS reads the TLS Secret an EventListener names (TLS_CERT/TLS_KEY in its pod template) and
// writes its keys where the sink reads them, as Triggers mounts them; nil for a plain HTTP listener.
func listenerTLS(t *testing.T, s *inputSet, ns, name string) *listener.TLS {
	t.Helper()
	for _, o := range s.manifests {
		if o.GetKind() != "EventListener" || o.GetNamespace() != ns || o.GetName() != name {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "resources", "kubernetesResource", "spec", "template", "spec", "containers")
		if len(containers) == 0 {
			return nil
		}
		files := &listener.TLS{}
		for _, e := range containers[0].(map[string]any)["env"].([]any) {
			ref := e.(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
			secret, err := env.kube.CoreV1().Secrets(ns).Get(env.ctx, ref["name"].(string), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(env.cluster.Dir, ns+"-"+name+"-"+ref["key"].(string))
			if err := os.WriteFile(path, secret.Data[ref["key"].(string)], 0o600); err != nil {
				t.Fatal(err)
			}
			if e.(map[string]any)["name"] == "TLS_CERT" {
				files.CertFile = path
			} else {
				files.KeyFile = path
			}
		}
		files.CA = env.cluster.CAPEM()
		return files
	}
	return nil
}

// post sends an event to a listener and returns the PipelineRuns the listener created for it.
func post(t *testing.T, sink *listener.Sink, body map[string]any, headers map[string]string, want int) []pipelinev1.PipelineRun {
	t.Helper()
	b, _ := json.Marshal(body)
	code, resp, err := sink.Post(b, headers)
	if err != nil {
		t.Fatalf("posting to %s/%s: %v", sink.Namespace, sink.Name, err)
	}
	var answer struct {
		EventID string `json:"eventID"`
	}
	_ = json.Unmarshal([]byte(resp), &answer)
	if code != 202 || answer.EventID == "" {
		t.Fatalf("listener %s/%s answered %d %s; its log ends:\n%s", sink.Namespace, sink.Name, code, resp, sink.Log(2000))
	}
	selector := "triggers.tekton.dev/triggers-eventid=" + answer.EventID
	var runs []pipelinev1.PipelineRun
	// The sink creates the resources of each trigger before it answers; wait a little for
	// anything slower. Where none is expected (want == 0), poll for 2 s for a run that should not
	// appear: the condition stops early on any run, and the timeout is the success case. (The List uses
	// env.ctx, not the poll's context: that one ends at the timeout, and a call it cut off would be an error.)
	timeout := 5 * time.Second
	if want == 0 {
		timeout = 2 * time.Second
	}
	err = wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		list, err := env.tekton.TektonV1().PipelineRuns(sink.Namespace).List(env.ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		runs = list.Items
		if want == 0 {
			return len(runs) > 0, nil
		}
		return len(runs) >= want, nil
	})
	if err != nil && !wait.Interrupted(err) {
		t.Fatal(err)
	}
	// On a timeout, the caller compares what was created (runs) with what it expected.
	return runs
}

// runDifferences compares the runs the listener created with those simulate predicted.
func runDifferences(predicted []map[string]any, created []pipelinev1.PipelineRun) []string {
	if len(predicted) != len(created) {
		return []string{fmt.Sprintf("simulate predicted %d run(s), the listener created %d", len(predicted), len(created))}
	}
	var out []string
	// the triggers of one listener run concurrently: pair runs by the name simulate predicts, else by order
	created = append([]pipelinev1.PipelineRun(nil), created...)
	for i, p := range predicted {
		meta, _ := p["metadata"].(map[string]any)
		if name, _ := meta["name"].(string); name != "" {
			for j := i; j < len(created); j++ {
				if created[j].Name == name {
					created[i], created[j] = created[j], created[i]
				}
			}
		}
	}
	for i, p := range predicted {
		raw, _ := json.Marshal(created[i])
		var live map[string]any
		_ = json.Unmarshal(raw, &live)
		for _, d := range readback.Diff(p["spec"], live["spec"]) {
			out = append(out, created[i].Name+" spec"+d)
		}
		meta, _ := p["metadata"].(map[string]any)
		if gn, _ := meta["generateName"].(string); gn != "" && !strings.HasPrefix(created[i].Name, gn) {
			out = append(out, fmt.Sprintf("%s: simulate predicted a name starting %q", created[i].Name, gn))
		}
		if name, _ := meta["name"].(string); name != "" && created[i].Name != name {
			out = append(out, fmt.Sprintf("%s: simulate predicted the name %q", created[i].Name, name))
		}
	}
	return out
}

// postToListener posts one event to one listener and compares the runs with those simulate predicts there.
func postToListener(t *testing.T, s *inputSet, e fluxEvent, listenerKey string) []pipelinev1.PipelineRun {
	t.Helper()
	var predicted, others []map[string]any
	for _, r := range e.Runs {
		if r.Listener == listenerKey {
			if r.Object["kind"] == "PipelineRun" {
				predicted = append(predicted, r.Object)
			} else {
				others = append(others, r.Object)
			}
		}
	}
	sink := sinkFor(t, s, listenerKey)
	runs := post(t, sink, e.Body, fluxHeaders(t, s, sink), len(predicted))
	// what else the template creates (the canceller of superseded runs): there, named and specified as predicted
	for _, o := range others {
		meta, _ := o["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		kind, _ := o["kind"].(string)
		live, err := env.dynamic.Resource(schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: strings.ToLower(kind) + "s"}).
			Namespace(sink.Namespace).Get(env.ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: %s: simulate predicts %s %s; the listener did not create it: %v", s.name, e.Fixture, kind, name, err)
			continue
		}
		for _, d := range readback.Diff(o["spec"], live.Object["spec"]) {
			t.Errorf("%s: %s %s spec%s", s.name, kind, name, d)
		}
	}
	if len(predicted) == 0 {
		// dropped: the listener's log must say by which condition (as simulate's trace does)
		if log := sink.Log(1 << 20); !strings.Contains(log, "did not return true") {
			t.Errorf("%s: the listener dropped %s without saying why; its log ends:\n%s", s.name, e.Fixture, sink.Log(2000))
		}
	}
	if d := runDifferences(predicted, runs); len(d) > 0 {
		t.Errorf("%s: %s: the listener's runs differ from simulate's:\n%s\nlistener log:\n%s", s.name, e.Fixture, strings.Join(d, "\n"), sink.Log(2000))
	}
	names := make([]string, 0, len(runs))
	for _, r := range runs {
		names = append(names, r.Name+"("+paramString(r.Spec.Params)+")")
	}
	revision := ""
	if m, ok := e.Body["metadata"].(map[string]any); ok {
		revision, _ = m["revision"].(string)
	}
	scheme, _, _ := strings.Cut(sink.URL, ":")
	stage("event "+s.name, "%s (revision %q) → %s (%s): %d run(s), equal to simulate %s", e.Fixture, revision, listenerKey, scheme, len(runs), strings.Join(names, ", "))
	return runs
}

// postEvents posts each of the set's events to the listener simulate names and compares the runs.
func postEvents(t *testing.T, s *inputSet) []pipelinev1.PipelineRun {
	t.Helper()
	var all []pipelinev1.PipelineRun
	for _, e := range s.events {
		// Flux posts the event to every listener whose Alert matches it: one post per listener
		listeners := []string{e.Listener}
		for _, r := range e.Runs {
			if !contains(listeners, r.Listener) {
				listeners = append(listeners, r.Listener)
			}
		}
		for _, l := range listeners {
			all = append(all, postToListener(t, s, e, l)...)
		}
	}
	return all
}

func paramString(ps pipelinev1.Params) string {
	var parts []string
	for _, p := range ps {
		v := p.Value.StringVal
		if len(v) > 16 {
			v = v[:13] + "..."
		}
		parts = append(parts, p.Name+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// waitDone waits until a PipelineRun has finished and returns it.
func waitDone(t *testing.T, namespace, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var pr *pipelinev1.PipelineRun
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		var err error
		pr, err = env.tekton.TektonV1().PipelineRuns(namespace).Get(env.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if c := pr.Status.GetCondition(apis.ConditionSucceeded); c != nil && !c.IsUnknown() {
			return true, nil
		}
		if log := env.cluster.LogTail("tekton-controller.log", 1<<20); strings.Contains(log, `"severity":"fatal"`) {
			t.Fatalf("Tekton's controller stopped; its log ends:\n%s", env.cluster.LogTail("tekton-controller.log", 3000))
		}
		return false, nil
	})
	if wait.Interrupted(err) {
		t.Fatalf("PipelineRun %s/%s did not finish in 2 minutes; the controller's log ends:\n%s", namespace, name, env.cluster.LogTail("tekton-controller.log", 3000))
	}
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// taskRuns returns the TaskRuns of a PipelineRun by pipeline task name.
func taskRuns(t *testing.T, pr *pipelinev1.PipelineRun) map[string]pipelinev1.TaskRun {
	t.Helper()
	list, err := env.tekton.TektonV1().TaskRuns(pr.Namespace).List(env.ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pipelinev1.TaskRun{}
	for _, tr := range list.Items {
		out[tr.Labels["tekton.dev/pipelineTask"]] = tr
	}
	return out
}

func describeRun(t *testing.T, pr *pipelinev1.PipelineRun) string {
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	trs := taskRuns(t, pr)
	names := make([]string, 0, len(trs))
	for n := range trs {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		tr := trs[n]
		reason := "?"
		if tc := tr.Status.GetCondition(apis.ConditionSucceeded); tc != nil {
			reason = tc.Reason
		}
		parts = append(parts, fmt.Sprintf("%s=%s", n, reason))
	}
	skipped := make([]string, 0, len(pr.Status.SkippedTasks))
	for _, s := range pr.Status.SkippedTasks {
		skipped = append(skipped, s.Name)
	}
	return fmt.Sprintf("%s %s [%s] skipped [%s]", pr.Name, c.Reason, strings.Join(parts, " "), strings.Join(skipped, " "))
}

func param(tr pipelinev1.TaskRun, name string) string {
	for _, p := range tr.Spec.Params {
		if p.Name == name {
			return p.Value.StringVal
		}
	}
	return "<unset>"
}

// deleteSet removes an app's objects and the runs its listeners created, so the next app starts clean.
func deleteSet(t *testing.T, s *inputSet) {
	t.Helper()
	for key, sink := range sinks {
		ns, name, _ := strings.Cut(key, "/")
		for _, o := range s.manifests {
			if o.GetKind() == "EventListener" && o.GetNamespace() == ns && o.GetName() == name {
				_ = sink // the sink process lives until the suite ends; its listener is gone
				delete(sinks, key)
			}
		}
	}
	for _, ns := range []string{"ci", "flux-system"} {
		_ = env.tekton.TektonV1().PipelineRuns(ns).DeleteCollection(env.ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	}
	for _, o := range s.manifests {
		if o.GetKind() == "Namespace" {
			continue // shared by every app here (and no namespace controller runs to finish deleting one)
		}
		gvk := o.GroupVersionKind()
		mapping, err := env.flux.Client.RESTMapper().RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
		if err != nil {
			t.Fatal(err)
		}
		r := env.dynamic.Resource(mapping.Resource)
		if mapping.Scope.Name() == "namespace" {
			err = r.Namespace(o.GetNamespace()).Delete(env.ctx, o.GetName(), metav1.DeleteOptions{})
		} else {
			err = r.Delete(env.ctx, o.GetName(), metav1.DeleteOptions{})
		}
		if err != nil {
			t.Errorf("deleting %s: %v", flux.Key(o), err)
		}
	}
}

// Every example: applied as Flux applies it, its Flux event posted to the real listener.
func TestExamples(t *testing.T) {
	for _, name := range []string{"node-service-ci", "oci-deploy-check", "staging-smoke-test", "fleet-ci", "promotion"} {
		t.Run(name, func(t *testing.T) {
			s := loadSet(t, name)
			applySet(t, s)
			runs := postEvents(t, s)
			if name == "promotion" {
				// staging soaks for an hour: its run waits, pending; the soak clock, told the soak is over, starts it
				// (TestPromotionGates waits out a real soak)
				stage("reconcile "+name, "soak clock (SOAK=0): %s", strings.TrimSpace(soakClock(t, s, map[string]string{"SOAK": "0"})))
			}
			for _, r := range runs {
				pr := waitDone(t, r.Namespace, r.Name)
				stage("reconcile "+name, "%s", describeRun(t, pr))
				if !pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
					t.Errorf("%s: run %s did not succeed: %s", name, pr.Name, describeRun(t, pr))
				}
				if name == "promotion" {
					checkPromotionRun(t, pr)
				}
			}
			if name == "fleet-ci" {
				checkSharedListener(t, s, len(runs))
			}
			deleteSet(t, s)
		})
	}
}

// checkPromotionRun: staging's event ran read-version, then staging's verify with the version read, then
// promote to production with it.
func checkPromotionRun(t *testing.T, pr *pipelinev1.PipelineRun) {
	t.Helper()
	trs := taskRuns(t, pr)
	order := []string{"read-version", "verify-staging", "promote"}
	for i, name := range order {
		tr, ok := trs[name]
		if !ok {
			t.Fatalf("promotion: %s did not run: %s", name, describeRun(t, pr))
		}
		if prev := trs[order[max(i-1, 0)]].CreationTimestamp; i > 0 && tr.CreationTimestamp.Before(&prev) {
			t.Errorf("promotion: %s was created before %s", name, order[i-1])
		}
	}
	version := kubelet.ResultValue("read-version", "version")
	for _, check := range []struct{ task, param, want string }{
		{"read-version", "environment", "staging"}, {"read-version", "path", "envs/staging"},
		{"verify-staging", "version", version}, {"verify-staging", "environment", "staging"},
		{"promote", "version", version}, {"promote", "from", "staging"}, {"promote", "to", "production"},
		{"promote", "mode", "pull-request"}, {"promote", "to-path", "envs/production"},
	} {
		if got := param(trs[check.task], check.param); got != check.want {
			t.Errorf("promotion: %s got %s=%q, want %q", check.task, check.param, got, check.want)
		}
	}
	stage("promotion", "staging's event → read-version → verify-staging → promote (to production, by pull request, version %s)", version)
}

// checkSharedListener: the fleet's one listener (Triggers' sink, under its own ServiceAccount) served every
// service; a wrong token starts nothing; the listener reads no Secret, not even the one its Triggers compare in
// Flux's namespace (Triggers' core interceptors do), and creates no Pod.
func checkSharedListener(t *testing.T, s *inputSet, runs int) {
	t.Helper()
	listeners := 0
	for _, o := range s.manifests {
		if o.GetKind() == "EventListener" {
			listeners++
		}
	}
	if listeners != 1 || runs != 12 {
		t.Errorf("fleet-ci: %d EventListener(s) and %d run(s), want 1 listener and one run for each of the 12 services", listeners, runs)
	}
	sink := sinkFor(t, s, "fleet-ci/fleet")
	body := withRevision(s.events[0].Body, "main@sha1:3333333333333333333333333333333333333333")
	if got := post(t, sink, body, map[string]string{"X-Flux-Token": "guess"}, 0); len(got) != 0 {
		t.Errorf("fleet-ci: a wrong token created %d run(s)", len(got))
	}
	cfg, err := env.cluster.ServiceAccountConfig(env.ctx, "fleet-ci", "fleet-listener")
	if err != nil {
		t.Fatal(err)
	}
	as := kubernetes.NewForConfigOrDie(cfg)
	_, secretErr := as.CoreV1().Secrets("fleet-ci").Get(env.ctx, "fleet-flux-token", metav1.GetOptions{})
	_, podErr := as.CoreV1().Pods("fleet-ci").Create(env.ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "escape"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(secretErr) || !apierrors.IsForbidden(podErr) {
		t.Errorf("fleet-ci: the listener's ServiceAccount must be Forbidden to read the token Secret (%v) and to create a Pod (%v)", secretErr, podErr)
	}
	stage("shared listener", "fleet-ci/fleet: 12 services' events → 12 runs, each its own pipeline's; a wrong token: none; "+
		"one Secret (headers and token) compared by the core interceptors; the listener Forbidden to read it or create a Pod")
}
