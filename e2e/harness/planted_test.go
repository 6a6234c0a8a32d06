package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"

	"cdk8s-tekton-flux/e2e/harness/internal/admission"
)

// The suite catches what it claims: each fault is planted into a copy of dist/ (or into the cluster)
// and must make the check that guards against it fail. Each test restores dist/ as Flux would.
func TestPlantedFaults(t *testing.T) {
	s := loadSet(t, "dist")
	applySet(t, s)
	defer func() {
		if _, err := env.flux.Apply(env.ctx, s.manifests); err != nil {
			t.Fatalf("restoring dist/: %v", err)
		}
	}()

	t.Run("an unknown field in a Tekton object is rejected by the API server and the webhook code", func(t *testing.T) {
		task := planted(s, "Task", "git-clone", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "x", "spec", "stepz")
		})
		if err := admission.Admit(task); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("admission accepted a Task with an unknown field: %v", err)
		}
		if _, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{task}); err == nil || !strings.Contains(err.Error(), "stepz") {
			t.Errorf("Flux's apply accepted a Task with an unknown field: %v", err)
		}
	})

	t.Run("an unknown field in a Triggers object passes the API server and is caught by the webhook code", func(t *testing.T) {
		binding := planted(s, "TriggerBinding", "on-push", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, []any{}, "spec", "paramz")
		})
		if err := admission.Admit(binding); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("admission accepted a TriggerBinding with an unknown field: %v", err)
		}
		if _, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{binding}); err != nil {
			t.Logf("the API server rejected it too: %v", err)
		}
	})

	t.Run("a verb removed from the listener's role stops the listener", func(t *testing.T) {
		restore := removeVerb(t, "ci", "flux-events-listener", "pipelineruns", "create")
		defer restore()
		sink := sinkFor(t, s, "ci/flux-events")
		runs := post(t, sink, withRevision(s.events[0].Body, "main@sha1:3333333333333333333333333333333333333333"), fluxHeaders(t, s, sink), 0)
		if len(runs) != 0 {
			t.Fatalf("the listener created %d run(s) without the create verb", len(runs))
		}
		if log := sink.Log(20000); !strings.Contains(log, "forbidden") {
			t.Errorf("the listener's log does not say it was forbidden:\n%s", sink.Log(2000))
		}
	})

	t.Run("without patch on PipelineRuns the canceller fails and the superseded run keeps running", func(t *testing.T) {
		restore := removeVerb(t, "ci", "on-push-supersede", "pipelineruns", "patch")
		defer restore()
		sink := sinkFor(t, s, "ci/flux-events")
		older := "node-service-ci-888888888888"
		env.kubelet.Hold(older, true)
		defer env.kubelet.Hold(older, false)
		post(t, sink, withRevision(s.events[0].Body, "main@sha1:8888888888888888888888888888888888888888"), fluxHeaders(t, s, sink), 1)
		waitTaskRunDone(t, "ci", older+"-supersede")
		// A required delay, not a poll: creation times have a 1 s resolution, and the wait makes the two runs'
		// creation timestamps differ (as Flux's successive revisions are at least a reconcile apart).
		time.Sleep(1100 * time.Millisecond)
		post(t, sink, withRevision(s.events[0].Body, "main@sha1:9999999999999999999999999999999999999999"), fluxHeaders(t, s, sink), 1)
		canceller := waitTaskRunDone(t, "ci", "node-service-ci-999999999999-supersede")
		if canceller.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Errorf("the canceller succeeded without the patch verb:\n%s", env.kubelet.Output(canceller.Name))
		} else if out := env.kubelet.Output(canceller.Name); !strings.Contains(out, "forbidden") {
			t.Errorf("the canceller failed, but not for want of the verb:\n%s", out)
		}
		pr, err := env.tekton.TektonV1().PipelineRuns("ci").Get(env.ctx, older, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pr.Spec.Status != "" || !pr.Status.GetCondition(apis.ConditionSucceeded).IsUnknown() {
			t.Errorf("the older run was stopped although its canceller could not patch it: %s", describeRun(t, pr))
		}
		// end it as an operator would
		_, _ = env.tekton.TektonV1().PipelineRuns("ci").Patch(env.ctx, older, types.MergePatchType, []byte(`{"spec":{"status":"Cancelled"}}`), metav1.PatchOptions{})
		waitDone(t, "ci", "node-service-ci-999999999999")
	})

	t.Run("a wrong binding makes the runs differ from simulate", func(t *testing.T) {
		binding := planted(s, "TriggerBinding", "on-push", func(o *unstructured.Unstructured) {
			params, _, _ := unstructured.NestedSlice(o.Object, "spec", "params")
			for _, p := range params {
				if p.(map[string]any)["name"] == "commit" {
					p.(map[string]any)["value"] = "$(extensions.ref)"
				}
			}
			_ = unstructured.SetNestedSlice(o.Object, params, "spec", "params")
		})
		if _, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{binding}); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = env.flux.Apply(env.ctx, s.manifests) }()
		e := s.events[0]
		sink := sinkFor(t, s, e.Listener)
		runs := post(t, sink, withRevision(e.Body, "main@sha1:4444444444444444444444444444444444444444"), fluxHeaders(t, s, sink), 1)
		// simulate's prediction for the fixture's revision, moved to this revision: only the binding differs
		const fixtureCommit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
		var predicted []map[string]any
		for _, r := range e.Runs {
			if r.Object["kind"] != "PipelineRun" {
				continue
			}
			raw, _ := json.Marshal(r.Object)
			var moved map[string]any
			text := strings.ReplaceAll(string(raw), fixtureCommit, strings.Repeat("4", 40))
			_ = json.Unmarshal([]byte(strings.ReplaceAll(text, fixtureCommit[:12], "444444444444")), &moved)
			predicted = append(predicted, moved)
		}
		d := runDifferences(predicted, runs)
		if len(d) != 1 || !strings.Contains(d[0], strings.Repeat("4", 40)) {
			t.Fatalf("want one difference, the commit param that the wrong binding fills; got %q", d)
		}
		stage("planted faults", "wrong binding caught: %s", d[0])
	})
}

// planted returns a copy of one object of the set, changed by plant.
func planted(s *inputSet, kind, name string, plant func(*unstructured.Unstructured)) *unstructured.Unstructured {
	for _, o := range s.manifests {
		if o.GetKind() == kind && o.GetName() == name {
			c := o.DeepCopy()
			plant(c)
			return c
		}
	}
	panic("no " + kind + " " + name + " in the set")
}

// removeVerb removes verb on resource from every role bound to the ServiceAccount in its namespace
// (Roles and ClusterRoles through RoleBindings) and returns a function that puts it back.
func removeVerb(t *testing.T, namespace, serviceAccount, resource, verb string) func() {
	t.Helper()
	rbs, err := env.kube.RbacV1().RoleBindings(namespace).List(env.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var restores []func()
	group := "" // the API group of the rules the verb was removed from, for the access reviews below
	for _, rb := range rbs.Items {
		bound := false
		for _, s := range rb.Subjects {
			bound = bound || (s.Kind == "ServiceAccount" && s.Name == serviceAccount && s.Namespace == namespace)
		}
		if !bound {
			continue
		}
		strip := func(rules []rbacv1.PolicyRule) ([]rbacv1.PolicyRule, bool) {
			changed := false
			out := make([]rbacv1.PolicyRule, 0, len(rules))
			for _, r := range rules {
				r = *r.DeepCopy()
				if contains(r.Resources, resource) && contains(r.Verbs, verb) {
					r.Verbs = without(r.Verbs, verb)
					changed = true
					if len(r.APIGroups) > 0 && r.APIGroups[0] != "*" {
						group = r.APIGroups[0]
					}
				}
				if len(r.Verbs) > 0 {
					out = append(out, r)
				}
			}
			return out, changed
		}
		switch rb.RoleRef.Kind {
		case "Role":
			role, err := env.kube.RbacV1().Roles(namespace).Get(env.ctx, rb.RoleRef.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			orig := role.DeepCopy()
			if rules, changed := strip(role.Rules); changed {
				role.Rules = rules
				if _, err := env.kube.RbacV1().Roles(namespace).Update(env.ctx, role, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				restores = append(restores, func() {
					cur, _ := env.kube.RbacV1().Roles(namespace).Get(env.ctx, orig.Name, metav1.GetOptions{})
					cur.Rules = orig.Rules
					_, _ = env.kube.RbacV1().Roles(namespace).Update(env.ctx, cur, metav1.UpdateOptions{})
				})
			}
		case "ClusterRole":
			role, err := env.kube.RbacV1().ClusterRoles().Get(env.ctx, rb.RoleRef.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			orig := role.DeepCopy()
			if rules, changed := strip(role.Rules); changed {
				role.Rules = rules
				if _, err := env.kube.RbacV1().ClusterRoles().Update(env.ctx, role, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				restores = append(restores, func() {
					cur, _ := env.kube.RbacV1().ClusterRoles().Get(env.ctx, orig.Name, metav1.GetOptions{})
					cur.Rules = orig.Rules
					_, _ = env.kube.RbacV1().ClusterRoles().Update(env.ctx, cur, metav1.UpdateOptions{})
				})
			}
		}
	}
	if len(restores) == 0 {
		t.Fatalf("no role bound to %s/%s grants %s on %s", namespace, serviceAccount, verb, resource)
	}
	// The API server's RBAC authorizer reads roles through its informer cache, which follows within moments:
	// wait until a SubjectAccessReview (decided by that authorizer) denies the verb, and on restore allows it again.
	waitAllowed(t, namespace, serviceAccount, group, resource, verb, false)
	return func() {
		for _, r := range restores {
			r()
		}
		waitAllowed(t, namespace, serviceAccount, group, resource, verb, true)
	}
}

// waitAllowed waits until the API server's authorizer allows (or denies) the ServiceAccount verb on resource in
// its namespace.
func waitAllowed(t *testing.T, namespace, serviceAccount, group, resource, verb string, allowed bool) {
	t.Helper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + namespace + ":" + serviceAccount,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: group, Resource: resource,
		},
	}}
	err := wait.PollUntilContextTimeout(env.ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		got, err := env.kube.AuthorizationV1().SubjectAccessReviews().Create(env.ctx, review, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return got.Status.Allowed == allowed, nil
	})
	if err != nil {
		t.Fatalf("%s/%s: %s on %s (group %q) not allowed=%v within 10s: %v", namespace, serviceAccount, verb, resource, group, allowed, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || x == "*" {
			return true
		}
	}
	return false
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// The check of a generated token (generatedTokenProblem) catches what would break the listener: fleet-ci's
// ExternalSecret, planted to write another value into `token` than into `headers`, makes a Secret whose keys
// disagree (Flux would send a header the listener never accepts); a Secret made by hand is not ESO's.
func TestPlantedGeneratedTokenFaults(t *testing.T) {
	s := loadSet(t, "fleet-ci")
	const ns, name = "planted-token", "fleet-flux-token"
	if err := ensureNamespace(env.ctx, ns); err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, o := range s.manifests {
		if o.GetKind() == "ExternalSecret" || o.GetKind() == "Password" {
			c := o.DeepCopy()
			c.SetNamespace(ns)
			if c.GetKind() == "ExternalSecret" {
				_ = unstructured.SetNestedField(c.Object, "{{ .password }}x", "spec", "target", "template", "data", "token")
			}
			objs = append(objs, c)
		}
	}
	if len(objs) != 2 {
		t.Fatalf("fleet-ci has %d ExternalSecret and Password objects, want 2", len(objs))
	}
	if _, err := env.flux.Apply(env.ctx, objs); err != nil {
		t.Fatal(err)
	}
	if problem := generatedTokenProblem(waitExternalSecret(t, ns, name), name, "X-Flux-Token"); !strings.Contains(problem, "carry it: false") {
		t.Errorf("a generated Secret whose keys disagree passed the check: %q", problem)
	}
	token := strings.Repeat("a1", 24)
	hand := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hand", Namespace: ns},
		Data: map[string][]byte{"headers": []byte(`X-Flux-Token: "` + token + `"`), "token": []byte(token)}}
	if problem := generatedTokenProblem(hand, "hand", "X-Flux-Token"); !strings.Contains(problem, "owned by ExternalSecret hand: false") {
		t.Errorf("a Secret made by hand passed for a generated one: %q", problem)
	}
}
