package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"
)

// keepRuns: 2, enforced by the real Tekton Pruner reading the namespace ConfigMap the library writes. Of the
// finished runs the pruner keeps the newest two successful ones and the newest two failed ones; a running
// run is never deleted, however old. Every event also runs history-cancel (concurrency: cancelInProgress),
// whose cancelling TaskRuns are kept to two as well.
func TestHistory(t *testing.T) {
	s := loadSet(t, "history")
	applySet(t, s)
	sink := sinkFor(t, s, s.events[0].Listener)
	revision := func(digit string) string { return "main@sha1:" + strings.Repeat(digit, 40) }
	start := func(digit string) string {
		t.Helper()
		runs := post(t, sink, withRevision(s.events[0].Body, revision(digit)), fluxHeaders(t, s, sink), 2)
		if len(runs) != 2 {
			t.Fatalf("revision %s: want two runs (history, history-cancel), the listener created %d", digit, len(runs))
		}
		waitDone(t, "ci-history", "history-cancel-"+strings.Repeat(digit, 12))
		return "history-" + strings.Repeat(digit, 12)
	}

	running := "history-" + strings.Repeat("0", 12)
	env.kubelet.Hold(running, true) // the oldest run is still running at the end
	defer env.kubelet.Hold(running, false)
	if got := start("0"); got != running {
		t.Fatalf("want the run %s, got %s", running, got)
	}
	var succeeded, failed []string
	for _, digit := range []string{"1", "2", "3", "4"} {
		succeeded = append(succeeded, waitDone(t, "ci-history", start(digit)).Name)
	}
	env.kubelet.FailTask("say", true)
	for _, digit := range []string{"5", "6", "7"} {
		failed = append(failed, waitDone(t, "ci-history", start(digit)).Name)
	}
	env.kubelet.FailTask("say", false)

	want := append([]string{running}, succeeded[2:]...)
	want = append(want, failed[1:]...)
	// history-cancel: runs of 0-4 succeeded, 5-7 failed; the 8 cancellers succeeded (nothing older was running)
	want = append(want, "history-cancel-333333333333", "history-cancel-444444444444", "history-cancel-666666666666", "history-cancel-777777777777")
	sort.Strings(want)
	wantCancellers := "history-cancel-666666666666-supersede history-cancel-777777777777-supersede"
	var got []string
	var cancellers string
	err := wait.PollUntilContextTimeout(env.ctx, 500*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		list, err := env.tekton.TektonV1().PipelineRuns("ci-history").List(env.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		got = runNames(list.Items)
		trs, err := env.tekton.TektonV1().TaskRuns("ci-history").List(env.ctx, metav1.ListOptions{LabelSelector: "cdk8s-tekton-flux/cancels-superseded"})
		if err != nil {
			return false, err
		}
		var names []string
		for _, tr := range trs.Items {
			names = append(names, tr.Name)
		}
		sort.Strings(names)
		cancellers = strings.Join(names, " ")
		return strings.Join(got, " ") == strings.Join(want, " ") && cancellers == wantCancellers, nil
	})
	if err != nil && !wait.Interrupted(err) {
		t.Fatal(err)
	}
	// on a timeout, the checks below say what differs
	stage("history", "keepRuns 2 after 4 successful, 3 failed and 1 running run of history, 5 and 3 of history-cancel: %s remain; cancelling TaskRuns: %s",
		strings.Join(got, ", "), cancellers)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("the runs left are %v, want %v (the newest 2 successful, the newest 2 failed, the running one); the pruner's log ends:\n%s",
			got, want, env.cluster.LogTail("tekton-pruner.log", 3000))
	}
	if cancellers != wantCancellers {
		t.Errorf("the cancelling TaskRuns left are %q, want %q", cancellers, wantCancellers)
	}
	pr, err := env.tekton.TektonV1().PipelineRuns("ci-history").Get(env.ctx, running, metav1.GetOptions{})
	if err != nil || !pr.Status.GetCondition(apis.ConditionSucceeded).IsUnknown() {
		t.Errorf("the running run %s: %v, %s", running, err, describeRun(t, pr))
	}
}

func runNames(runs []pipelinev1.PipelineRun) []string {
	out := make([]string, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}
