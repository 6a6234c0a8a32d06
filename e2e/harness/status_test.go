package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"
)

// statusAPI is where the commit-status set's Task posts (e2e/inputs.ts STATUS_API): the fake kubelet runs the
// status steps on this machine, so a loopback port reaches this stand-in.
const statusAPI = "127.0.0.1:18089"

const statusToken = "ghp_e2eStatusT0ken"

// statusRequest is one request the stand-in for GitHub's commit status API answered.
type statusRequest struct {
	Method, Path, Auth string
	Body               map[string]any
}

// statusStandIn answers POST /repos/{owner}/{repo}/statuses/{sha} with 201, as GitHub does, and records every request.
type statusStandIn struct {
	mu       sync.Mutex
	requests []statusRequest
}

func (s *statusStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	req := statusRequest{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	if err := json.Unmarshal(b, &req.Body); err != nil {
		req.Body = map[string]any{"unreadable": string(b)}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"id": 1}`))
}

// of returns the requests about commit sha, in the order they came.
func (s *statusStandIn) of(sha string) []statusRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []statusRequest
	for _, r := range s.requests {
		if strings.HasSuffix(r.Path, "/"+sha) {
			out = append(out, r)
		}
	}
	return out
}

// describe is the states and descriptions of requests, for messages.
func describe(rs []statusRequest) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %v", r.Method, r.Path, r.Body))
	}
	return "[" + strings.Join(out, "; ") + "]"
}

// Commit status under Tekton's real controller: each run posts pending when it starts, then its end: success,
// failure naming the failed task, and error for a run cancelled with CancelledRunFinally; on the event's commit,
// with the context ci/<pipeline>, a link to the run and the token from the Secret as a Bearer header.
func TestCommitStatus(t *testing.T) {
	listener, err := net.Listen("tcp", statusAPI)
	if err != nil {
		t.Fatalf("the commit status stand-in cannot listen on %s (e2e/inputs.ts STATUS_API): %v", statusAPI, err)
	}
	api := &statusStandIn{}
	server := &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	defer server.Close()

	s := loadSet(t, "commit-status")
	applySet(t, s)
	ensureSecret(t, "ci-status", "status-token", map[string]string{"token": statusToken})
	sink := sinkFor(t, s, s.events[0].Listener)
	start := func(digit string) (run, sha string) {
		t.Helper()
		sha = strings.Repeat(digit, 40)
		runs := post(t, sink, withRevision(s.events[0].Body, "main@sha1:"+sha), fluxHeaders(t, s, sink), 1)
		if len(runs) != 1 {
			t.Fatalf("revision %s: want one run, the listener created %d", sha, len(runs))
		}
		return runs[0].Name, sha
	}
	// difference waits for the two statuses of sha and compares them with what GitHub should have been sent
	difference := func(run, sha, state, description string) string {
		t.Helper()
		var got []statusRequest
		err := wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			got = api.of(sha)
			return len(got) >= 2, nil
		})
		if err != nil && !wait.Interrupted(err) {
			t.Fatal(err)
		}
		stage("commit status", "%s: %s", run, describe(got))
		link := "https://tekton.example.com/#/namespaces/ci-status/pipelineruns/" + run
		want := []statusRequest{
			{Method: "POST", Path: "/repos/acme/app/statuses/" + sha, Auth: "Bearer " + statusToken,
				Body: map[string]any{"state": "pending", "description": "status is running", "context": "ci/status", "target_url": link}},
			{Method: "POST", Path: "/repos/acme/app/statuses/" + sha, Auth: "Bearer " + statusToken,
				Body: map[string]any{"state": state, "description": description, "context": "ci/status", "target_url": link}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("run %s posted %s,\nwant %s;\nthe status steps printed:\n%s\n%s", run, describe(got), describe(want),
				env.kubelet.Output(run+"-commit-status"), env.kubelet.Output(run+"-commit-status-end"))
		}
		return ""
	}
	check := func(run, sha, state, description string) {
		t.Helper()
		if d := difference(run, sha, state, description); d != "" {
			t.Error(d)
		}
	}

	run, sha := start("a")
	if pr := waitDone(t, "ci-status", run); !pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
		t.Errorf("run %s did not succeed: %s", run, describeRun(t, pr))
	}
	check(run, sha, "success", "status succeeded")

	env.kubelet.FailTask("test", true)
	run, sha = start("b")
	waitDone(t, "ci-status", run)
	env.kubelet.FailTask("test", false)
	check(run, sha, "failure", "status failed: test")

	run, sha = start("c")
	env.kubelet.Hold(run, true)
	defer env.kubelet.Hold(run, false)
	// pending is posted while build runs (the status step is never held); then the run is cancelled as a newer
	// run's canceller (or `tkn pipelinerun cancel --finally`) does it
	err = wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return len(api.of(sha)) >= 1, nil
	})
	if err != nil {
		t.Fatalf("run %s posted no pending status: %v; %s", run, err, describe(api.of(sha)))
	}
	patch := []byte(`{"spec":{"status":"CancelledRunFinally"}}`)
	if _, err := env.tekton.TektonV1().PipelineRuns("ci-status").Patch(env.ctx, run, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDone(t, "ci-status", run)
	check(run, sha, "error", "status was cancelled")

	// the token reached the API as a header only: no step printed it
	for _, tr := range []string{"commit-status", "commit-status-end"} {
		if out := env.kubelet.Output(run + "-" + tr); strings.Contains(out, statusToken) {
			t.Errorf("the %s step printed the token:\n%s", tr, out)
		}
	}

	// Planted fault: a status Task that reports under another context (as a pipeline overwriting another's
	// would) is caught by the same comparison.
	task, err := env.tekton.TektonV1().Tasks("ci-status").Get(env.ctx, "status-commit-status", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range task.Spec.Steps[0].Env {
		if e.Name == "CONTEXT" {
			task.Spec.Steps[0].Env[i].Value = "ci/planted"
		}
	}
	if _, err := env.tekton.TektonV1().Tasks("ci-status").Update(env.ctx, task, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	run, sha = start("d")
	waitDone(t, "ci-status", run)
	if d := difference(run, sha, "success", "status succeeded"); d == "" {
		t.Errorf("planted fault: run %s posted under the context ci/planted, and the check did not see it", run)
	} else {
		stage("commit status", "planted fault (context ci/planted) caught: %s", strings.SplitN(d, "\n", 2)[0])
	}
	deleteSet(t, s)
}
