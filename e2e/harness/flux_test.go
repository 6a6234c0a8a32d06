package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"cdk8s-tekton-flux/e2e/harness/internal/cluster"
)

// Flux's own notification-controller delivers the events: a controller posts an event to it as
// source-controller and kustomize-controller do (metadata keys prefixed with the object's API group); it
// matches the Alerts of dist/, strips the prefixes, adds the token header from each Provider's Secret and
// POSTs to the Provider's in-cluster address, the listener's Service, where Triggers' listener creates
// the runs.
func TestFluxDelivers(t *testing.T) {
	s := loadSet(t, "dist")
	applySet(t, s)
	// one listener for the namespace: every pipeline of ci is a Trigger it selects
	sinkFor(t, s, "ci/flux-events")

	t.Run("a new GitRepository revision runs the CI pipeline", func(t *testing.T) {
		commit := strings.Repeat("a", 40)
		postToFlux(t, controllerEvent(t, "gitrepository-new-artifact.json", "main@sha1:"+commit))
		pr := waitCreated(t, "ci", "node-service-ci-"+commit[:12])
		if got := runParam(pr, "commit"); got != commit {
			t.Errorf("the run's commit is %q, want %q", got, commit)
		}
		stage("flux delivers", "source-controller's event → notification-controller → Provider ci/flux-events → listener: %s (commit %s)", pr.Name, runParam(pr, "commit"))
	})

	t.Run("a Kustomization's applied revision runs the smoke test and the promotion (two Triggers of one listener)", func(t *testing.T) {
		commit := strings.Repeat("b", 40)
		postToFlux(t, controllerEvent(t, "kustomization-reconciliation-succeeded.json", "main@sha1:"+commit))
		for _, name := range []string{"staging-smoke-test-", "app-to-production-"} {
			pr := waitCreated(t, "ci", name+commit[:12])
			if got := runParam(pr, "revision"); got != "main@sha1:"+commit {
				t.Errorf("%s: revision %q, want main@sha1:%s", pr.Name, got, commit)
			}
		}
		stage("flux delivers", "kustomize-controller's event → notification-controller → Provider ci/flux-events → one listener, two Triggers: staging-smoke-test and app-to-production runs")
	})

	t.Run("with another token in the Provider's Secret the listener starts nothing", func(t *testing.T) {
		// the listener's one Secret: the Provider sends `headers`, the listener compares `token`; only headers changes
		secrets := env.kube.CoreV1().Secrets("ci")
		secret, err := secrets.Get(env.ctx, "flux-events-flux-token", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		original := secret.DeepCopy()
		secret.Data["headers"] = []byte("X-Flux-Token: a-guess")
		if _, err := secrets.Update(env.ctx, secret, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			latest, _ := secrets.Get(env.ctx, "flux-events-flux-token", metav1.GetOptions{})
			latest.Data = original.Data
			_, _ = secrets.Update(env.ctx, latest, metav1.UpdateOptions{})
		}()
		// A required delay, not a poll: notification-controller reads Secrets through its informer cache, and
		// nothing outside the controller shows when its cache has the changed Secret.
		time.Sleep(2 * time.Second)
		commit := strings.Repeat("c", 40)
		sink := sinkFor(t, s, "ci/flux-events")
		before := sink.Log(1 << 20)
		postToFlux(t, controllerEvent(t, "gitrepository-new-artifact.json", "main@sha1:"+commit))
		dropped := func() bool { return strings.Contains(strings.TrimPrefix(sink.Log(1<<20), before), "compareSecret") }
		_ = wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
			return dropped(), nil
		}) // a timeout is reported below (!dropped())
		if _, err := env.tekton.TektonV1().PipelineRuns("ci").Get(env.ctx, "node-service-ci-"+commit[:12], metav1.GetOptions{}); err == nil {
			t.Fatal("a run was created with a token the listener does not hold")
		}
		if !dropped() {
			t.Errorf("the listener's log does not show the token check failing for this event; it ends:\n%s", sink.Log(2000))
		}
		stage("flux delivers", "with another token in the Provider's Secret: delivered, dropped by the listener's compareSecret, no run")
	})
}

// The OCI example over HTTPS: notification-controller verifies the listener's certificate with the CA in
// the Provider's certSecretRef (the proxy only tunnels the TLS connection).
func TestFluxDeliversOverTLS(t *testing.T) {
	s := loadSet(t, "oci-deploy-check")
	applySet(t, s)
	defer deleteSet(t, s)
	sinkFor(t, s, "ci/manifests-artifact")
	digest := strings.Repeat("d", 64)
	postToFlux(t, controllerEvent(t, "ocirepository-new-artifact.json", "v1.5.0@sha256:"+digest))
	pr := waitCreated(t, "ci", "manifests-check-"+digest[:12])
	if got := runParam(pr, "digest"); got != "sha256:"+digest {
		t.Errorf("the run's digest is %q, want sha256:%s", got, digest)
	}
	stage("flux delivers", "source-controller's OCI event → notification-controller → HTTPS (CA from certSecretRef) → listener: %s", pr.Name)
}

// controllerEvent is a fixture as a Flux controller posts it to notification-controller: its metadata
// keys carry the involved object's API group, which notification-controller strips before it forwards.
func controllerEvent(t *testing.T, fixture, revision string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "test", "fixtures", "flux-events", fixture))
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	group, _, _ := strings.Cut(e["involvedObject"].(map[string]any)["apiVersion"].(string), "/")
	e["metadata"] = map[string]any{group + "/revision": revision}
	e["timestamp"] = time.Now().UTC().Format(time.RFC3339)
	return e
}

// postToFlux posts an event to notification-controller's event server, as a Flux controller's recorder does.
func postToFlux(t *testing.T, event map[string]any) {
	t.Helper()
	postEvent(t, env.events, event, "", env.cluster)
}

// postEvent posts an event to the event server at events (the notification-controller of cluster c, named in
// messages unless it is the suite's own), retrying until the server, started with the controller, accepts it.
func postEvent(t *testing.T, events string, event map[string]any, name string, c *cluster.Cluster) {
	t.Helper()
	body, _ := json.Marshal(event)
	of := "notification-controller"
	if name != "" {
		of = "cluster " + name + "'s notification-controller"
	}
	var resp *http.Response
	var postErr error
	err := wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		resp, postErr = http.Post(events+"/", "application/json", bytes.NewReader(body))
		return postErr == nil, nil
	})
	if err != nil {
		t.Fatalf("posting to %s: %v (%v)", of, postErr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("%s answered %d; its log ends:\n%s", of, resp.StatusCode, c.LogTail("notification-controller.log", 3000))
	}
}

// waitCreated waits for a PipelineRun to exist (notification-controller delivers asynchronously, with retries).
func waitCreated(t *testing.T, namespace, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var pr *pipelinev1.PipelineRun
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		var err error
		pr, err = env.tekton.TektonV1().PipelineRuns(namespace).Get(env.ctx, name, metav1.GetOptions{})
		return err == nil, nil // any error (mostly NotFound) is polled again, as before
	})
	if err != nil {
		t.Fatalf("no PipelineRun %s/%s within a minute (%v); notification-controller's log ends:\n%s", namespace, name, err, env.cluster.LogTail("notification-controller.log", 4000))
	}
	return pr
}

func runParam(pr *pipelinev1.PipelineRun, name string) string {
	for _, p := range pr.Spec.Params {
		if p.Name == name {
			return p.Value.StringVal
		}
	}
	return "<unset>"
}

// A fleet on one listener (examples/fleet-ci): its Alert and Provider are in the listener's namespace and
// name sources in flux-system, a cross-namespace reference notification-controller accepts by default; the
// Provider's Secret is the listener's own. Two services' events each reach the one listener and start only
// their own pipeline.
func TestFluxDeliversToSharedListener(t *testing.T) {
	s := loadSet(t, "fleet-ci")
	applySet(t, s)
	defer deleteSet(t, s)
	sinkFor(t, s, "fleet-ci/fleet")
	for i, service := range []string{"web", "billing"} {
		commit := strings.Repeat(string(rune('d'+i)), 40)
		event := controllerEvent(t, "gitrepository-new-artifact.json", "main@sha1:"+commit)
		event["involvedObject"].(map[string]any)["name"] = service
		postToFlux(t, event)
		pr := waitCreated(t, "fleet-ci", service+"-ci-"+commit[:12])
		if got := runParam(pr, "url"); got != "https://github.com/acme/"+service+".git" {
			t.Errorf("%s: url %q", pr.Name, got)
		}
		list, err := env.tekton.TektonV1().PipelineRuns("fleet-ci").List(env.ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range list.Items {
			if strings.HasSuffix(other.Name, commit[:12]) && other.Name != pr.Name {
				t.Errorf("%s's event also started %s", service, other.Name)
			}
		}
	}
	stage("flux delivers", "two GitRepositories' events → notification-controller → Alert and Provider fleet-ci/fleet (cross-namespace sources) → the one listener: each its own pipeline's run only")
}
