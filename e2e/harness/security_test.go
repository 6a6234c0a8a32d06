package e2e

import (
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Safe by default: only Flux (holding the token) starts runs, and the listener, acting as its own
// ServiceAccount, can do what its code needs and nothing else.
func TestSecurity(t *testing.T) {
	s := loadSet(t, "dist")
	applySet(t, s)
	e := s.events[0]
	// a revision of its own: runs are named after their revision, and other tests post the fixture's
	body := withRevision(e.Body, "main@sha1:2222222222222222222222222222222222222222")
	sink := sinkFor(t, s, e.Listener)

	t.Run("a request without the token, or with another, starts nothing", func(t *testing.T) {
		if runs := post(t, sink, body, nil, 0); len(runs) != 0 {
			t.Errorf("an unauthenticated request created %d run(s)", len(runs))
		}
		if runs := post(t, sink, body, map[string]string{"X-Flux-Token": "guess"}, 0); len(runs) != 0 {
			t.Errorf("a request with a wrong token created %d run(s)", len(runs))
		}
		if runs := post(t, sink, body, fluxHeaders(t, s, sink), 1); len(runs) != 1 {
			t.Errorf("the request with Flux's token created %d run(s), want 1", len(runs))
		}
		stage("security", "unauthenticated and wrong-token requests: no run; Flux's token: one run")
	})

	t.Run("the listener's ServiceAccount is Forbidden beyond what the listener does", func(t *testing.T) {
		cfg, err := env.cluster.ServiceAccountConfig(env.ctx, "ci", "flux-events-listener")
		if err != nil {
			t.Fatal(err)
		}
		as := kubernetes.NewForConfigOrDie(cfg)
		forbidden := map[string]error{}
		_, forbidden["get Secret ci/flux-events-flux-token"] = as.CoreV1().Secrets("ci").Get(env.ctx, "flux-events-flux-token", metav1.GetOptions{})
		_, forbidden["list Secrets in flux-system"] = as.CoreV1().Secrets("flux-system").List(env.ctx, metav1.ListOptions{})
		_, forbidden["create a Pod in ci"] = as.CoreV1().Pods("ci").Create(env.ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "escape"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "busybox"}}},
		}, metav1.CreateOptions{})
		_, forbidden["list Pods in ci"] = as.CoreV1().Pods("ci").List(env.ctx, metav1.ListOptions{})
		var names []string
		for what, err := range forbidden {
			if !apierrors.IsForbidden(err) {
				t.Errorf("%s: want Forbidden, got %v", what, err)
			}
			names = append(names, what)
		}
		for _, attr := range []authorizationv1.ResourceAttributes{
			{Verb: "impersonate", Resource: "serviceaccounts", Namespace: "ci"},
			{Verb: "delete", Group: "tekton.dev", Resource: "pipelineruns", Namespace: "ci"},
			{Verb: "patch", Group: "tekton.dev", Resource: "pipelineruns", Namespace: "ci"},
		} {
			if allowed(t, as, attr) {
				t.Errorf("the listener may %s %s", attr.Verb, attr.Resource)
			}
		}
		// PipelineRuns, and the TaskRuns that cancel superseded runs (concurrency: cancelInProgress)
		for _, resource := range []string{"pipelineruns", "taskruns"} {
			if !allowed(t, as, authorizationv1.ResourceAttributes{Verb: "create", Group: "tekton.dev", Resource: resource, Namespace: "ci"}) {
				t.Errorf("the listener may not create %s", resource)
			}
		}
		stage("security", "as ci/flux-events-listener: Forbidden to %s; no impersonate, no patch or delete; creating runs allowed", strings.Join(names, ", "))
	})

	t.Run("the canceller of superseded runs may only read and patch PipelineRuns", func(t *testing.T) {
		cfg, err := env.cluster.ServiceAccountConfig(env.ctx, "ci", "on-push-supersede")
		if err != nil {
			t.Fatal(err)
		}
		as := kubernetes.NewForConfigOrDie(cfg)
		for _, verb := range []string{"get", "list", "patch"} {
			if !allowed(t, as, authorizationv1.ResourceAttributes{Verb: verb, Group: "tekton.dev", Resource: "pipelineruns", Namespace: "ci"}) {
				t.Errorf("the canceller may not %s pipelineruns", verb)
			}
		}
		for _, attr := range []authorizationv1.ResourceAttributes{
			{Verb: "delete", Group: "tekton.dev", Resource: "pipelineruns", Namespace: "ci"},
			{Verb: "create", Group: "tekton.dev", Resource: "pipelineruns", Namespace: "ci"},
			{Verb: "patch", Group: "tekton.dev", Resource: "taskruns", Namespace: "ci"},
			{Verb: "get", Group: "tekton.dev", Resource: "pipelineruns", Namespace: "staging"},
			{Verb: "get", Resource: "secrets", Namespace: "ci"},
			{Verb: "create", Resource: "pods", Namespace: "ci"},
		} {
			if allowed(t, as, attr) {
				t.Errorf("the canceller may %s %s in %s", attr.Verb, attr.Resource, attr.Namespace)
			}
		}
		stage("security", "as ci/on-push-supersede: get, list, patch PipelineRuns in ci; nothing else")
	})
}

func allowed(t *testing.T, as kubernetes.Interface, attr authorizationv1.ResourceAttributes) bool {
	t.Helper()
	r, err := as.AuthorizationV1().SelfSubjectAccessReviews().Create(env.ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attr},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}
