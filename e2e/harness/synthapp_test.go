package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"knative.dev/pkg/apis"

	"cdk8s-tekton-flux/e2e/harness/internal/admission"
	"cdk8s-tekton-flux/e2e/harness/internal/kubelet"
)

// The synth app's dist/: applied as Flux applies it; a new revision of app-repo runs the CI pipeline
// through the real listener, and Tekton's controller reconciles it to the end.
func TestSynthApp(t *testing.T) {
	s := loadSet(t, "dist")
	applySet(t, s)
	runs := postEvents(t, s)

	var ci *pipelinev1.PipelineRun
	for _, r := range runs {
		pr := waitDone(t, r.Namespace, r.Name)
		stage("reconcile dist", "%s", describeRun(t, pr))
		if !pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Fatalf("run %s did not succeed: %s", pr.Name, describeRun(t, pr))
		}
		if pr.Spec.PipelineRef != nil && pr.Spec.PipelineRef.Name == "node-service-ci" {
			ci = pr
		}
	}
	if ci == nil {
		t.Fatal("no run of node-service-ci was created")
	}
	trs := taskRuns(t, ci)
	t.Run("results pass between tasks", func(t *testing.T) {
		commit := kubelet.ResultValue("clone", "commit")
		if got := param(trs["build"], "commit"); got != commit {
			t.Errorf("build got commit %q, want clone's result %q", got, commit)
		}
		if got := param(trs["deploy"], "digest"); got != kubelet.ResultValue("build", "digest") {
			t.Errorf("deploy got digest %q, want build's result", got)
		}
		if got := param(trs["notify"], "commit"); got != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
			t.Errorf("finally task notify got commit %q, want the run's commit param", got)
		}
		if len(ci.Status.Results) != 1 || ci.Status.Results[0].Value.StringVal != kubelet.ResultValue("build", "digest") {
			t.Errorf("pipeline result digest: %+v", ci.Status.Results)
		}
	})
	t.Run("when and finally run as declared", func(t *testing.T) {
		for _, name := range []string{"clone", "install", "lint", "unit-test", "build", "deploy", "notify"} {
			if _, ok := trs[name]; !ok {
				t.Errorf("task %s did not run: %s", name, describeRun(t, ci))
			}
		}
		if got := param(trs["notify"], "status"); got != "Succeeded" {
			t.Errorf("notify got status %q, want Succeeded", got)
		}
	})

	t.Run("the same event delivered twice makes one run", func(t *testing.T) {
		e := s.events[0]
		sink := sinkFor(t, s, e.Listener)
		again := post(t, sink, e.Body, fluxHeaders(t, s, sink), 0)
		list, err := env.tekton.TektonV1().PipelineRuns("ci").List(env.ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipeline=node-service-ci"})
		if err != nil {
			t.Fatal(err)
		}
		same := 0
		for _, r := range list.Items {
			if r.Name == ci.Name {
				same++
			}
		}
		if len(again) != 0 || same != 1 {
			t.Fatalf("a second delivery of the same revision: %d new run(s), %d run(s) named %s, want 0 and 1", len(again), same, ci.Name)
		}
		if !strings.Contains(sink.Log(1<<20), "already exists") {
			t.Errorf("the listener's log does not say the run already exists:\n%s", sink.Log(2000))
		}
		stage("reconcile dist", "the same event again: no new run (%s already exists)", ci.Name)
	})

	t.Run("a newer revision cancels the run it supersedes; that run's finally task still reports", func(t *testing.T) {
		sink := sinkFor(t, s, s.events[0].Listener)
		older, newer := "node-service-ci-666666666666", "node-service-ci-777777777777"
		env.kubelet.Hold(older, true) // its tasks keep running, as a long build would
		defer env.kubelet.Hold(older, false)
		first := post(t, sink, withRevision(s.events[0].Body, "main@sha1:6666666666666666666666666666666666666666"), fluxHeaders(t, s, sink), 1)
		if len(first) != 1 || first[0].Name != older {
			t.Fatalf("want the run %s, the listener created %v", older, first)
		}
		waitTaskRunDone(t, "ci", older+"-supersede")
		// A required delay, not a poll: Flux reports successive revisions at least a reconcile apart, and
		// creation times have a 1 s resolution: the wait makes the two runs' creation timestamps differ.
		time.Sleep(1100 * time.Millisecond)
		second := post(t, sink, withRevision(s.events[0].Body, "main@sha1:7777777777777777777777777777777777777777"), fluxHeaders(t, s, sink), 1)
		if len(second) != 1 || second[0].Name != newer {
			t.Fatalf("want the run %s, the listener created %v", newer, second)
		}
		canceller := waitTaskRunDone(t, "ci", newer+"-supersede")
		output := env.kubelet.Output(canceller.Name)
		if !canceller.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Fatalf("the canceller %s failed:\n%s", canceller.Name, output)
		}
		pr := waitDone(t, "ci", older)
		stage("supersede", "%s; its canceller said: %s", describeRun(t, pr), strings.Join(strings.Fields(strings.ReplaceAll(output, "\n", " | ")), " "))
		if !strings.Contains(output, newer+" supersedes "+older) {
			t.Errorf("the canceller did not say it cancelled %s:\n%s", older, output)
		}
		if c := pr.Status.GetCondition(apis.ConditionSucceeded); c.Reason != pipelinev1.PipelineRunReasonCancelled.String() || pr.Spec.Status != pipelinev1.PipelineRunSpecStatusCancelledRunFinally {
			t.Errorf("the superseded run ended %s (%s), spec.status %q; want Cancelled by CancelledRunFinally", c.Reason, c.Message, pr.Spec.Status)
		}
		if _, ok := taskRuns(t, pr)["notify"]; !ok {
			t.Errorf("the superseded run's finally task did not run: %s", describeRun(t, pr))
		}
		if pr := waitDone(t, "ci", newer); !pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Errorf("the newer run did not succeed: %s", describeRun(t, pr))
		}
		if out := env.kubelet.Output(older + "-supersede"); !strings.Contains(out, "no older run") {
			t.Errorf("the older run's canceller should have found nothing to cancel; it said:\n%s", out)
		}

		// A cancelled run can be resumed: what was cancelled and what follows runs again.
		env.kubelet.Hold(older, false)
		again := runResumed(t, pr)
		stage("supersede", "resumed: %s", describeRun(t, again))
		if !again.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Errorf("the resumed cancelled run did not succeed: %s", describeRun(t, again))
		}
		if _, ok := taskRuns(t, again)["clone"]; !ok {
			t.Errorf("clone, cancelled in the superseded run, did not run again: %s", describeRun(t, again))
		}
		checkFoundLikeOriginal(t, pr, again)
	})

	var failed *pipelinev1.PipelineRun
	t.Run("a failing task is retried as declared, then finally runs", func(t *testing.T) {
		env.kubelet.FailTask("unit-test", true)
		defer env.kubelet.FailTask("unit-test", false)
		event := withRevision(s.events[0].Body, "main@sha1:1111111111111111111111111111111111111111")
		sink := sinkFor(t, s, s.events[0].Listener)
		created := post(t, sink, event, fluxHeaders(t, s, sink), 1)
		if len(created) != 1 {
			t.Fatalf("want one run, the listener created %d", len(created))
		}
		pr := waitDone(t, created[0].Namespace, created[0].Name)
		stage("reconcile dist", "with unit-test failing: %s (unit-test attempts: %d)", describeRun(t, pr), env.kubelet.Attempts(pr.Name, "unit-test"))
		if pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Fatalf("run succeeded although unit-test failed: %s", describeRun(t, pr))
		}
		// retries: 1 on unit-test → two attempts.
		if got := env.kubelet.Attempts(pr.Name, "unit-test"); got != 2 {
			t.Errorf("unit-test ran %d times, want 2 (retries: 1)", got)
		}
		trs := taskRuns(t, pr)
		if _, ok := trs["build"]; ok {
			t.Error("build ran although unit-test, which it runs after, failed")
		}
		if _, ok := trs["notify"]; !ok {
			t.Errorf("finally task notify did not run: %s", describeRun(t, pr))
		} else if got := param(trs["notify"], "status"); got != "Failed" {
			t.Errorf("notify got status %q, want Failed", got)
		}
		failed = pr
	})

	t.Run("when clone fails, the finally task still reports (it reads no result of clone)", func(t *testing.T) {
		env.kubelet.FailTask("clone", true)
		defer env.kubelet.FailTask("clone", false)
		sink := sinkFor(t, s, s.events[0].Listener)
		created := post(t, sink, withRevision(s.events[0].Body, "main@sha1:5555555555555555555555555555555555555555"), fluxHeaders(t, s, sink), 1)
		if len(created) != 1 {
			t.Fatalf("want one run, the listener created %d", len(created))
		}
		pr := waitDone(t, "ci", created[0].Name)
		stage("reconcile dist", "with clone failing: %s (clone attempts: %d)", describeRun(t, pr), env.kubelet.Attempts(pr.Name, "clone"))
		trs := taskRuns(t, pr)
		if got := env.kubelet.Attempts(pr.Name, "clone"); got != 3 {
			t.Errorf("clone ran %d times, want 3 (retries: 2)", got)
		}
		if _, ok := trs["notify"]; !ok {
			t.Fatalf("finally task notify was skipped when clone failed: %s", describeRun(t, pr))
		}
		if got := param(trs["notify"], "status"); got != "Failed" {
			t.Errorf("notify got status %q, want Failed", got)
		}
	})

	t.Run("resume runs only what failed and what follows, fed the earlier results, and succeeds", func(t *testing.T) {
		if failed == nil {
			t.Fatal("no failed run to resume (see the test above)")
		}
		pr := runResumed(t, failed)
		stage("resume", "%s resumes %s: %s", pr.Name, failed.Name, describeRun(t, pr))
		if !pr.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
			t.Fatalf("the resumed run did not succeed: %s", describeRun(t, pr))
		}
		trs := taskRuns(t, pr)
		for _, done := range []string{"clone", "install", "lint"} {
			if _, ok := trs[done]; ok {
				t.Errorf("%s ran again although it had succeeded", done)
			}
		}
		for _, again := range []string{"unit-test", "build", "deploy", "notify"} {
			if _, ok := trs[again]; !ok {
				t.Errorf("%s did not run in the resumed run: %s", again, describeRun(t, pr))
			}
		}
		if got := param(trs["build"], "commit"); got != kubelet.ResultValue("clone", "commit") {
			t.Errorf("build got commit %q, want the failed run's clone result %q", got, kubelet.ResultValue("clone", "commit"))
		}
		checkFoundLikeOriginal(t, failed, pr)
	})

	t.Run("the label check fails for a resumed run without the selector labels (planted fault)", func(t *testing.T) {
		if failed == nil {
			t.Fatal("no failed run to resume (see above)")
		}
		// The CLI's output with the labels it keeps removed, as the CLI made it before it kept them. Pending: Tekton
		// labels it (propagatePipelineNameLabelToPipelineRun runs first) but starts no task.
		stripped := resume(t, failed)
		labels := stripped.GetLabels()
		for _, k := range selectorLabels {
			delete(labels, k)
		}
		stripped.SetLabels(labels)
		if err := unstructured.SetNestedField(stripped.Object, string(pipelinev1.PipelineRunSpecStatusPending), "spec", "status"); err != nil {
			t.Fatal(err)
		}
		created, err := env.dynamic.Resource(pipelineRunsGVR).Namespace(failed.Namespace).Create(env.ctx, stripped, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating the stripped run: %v", err)
		}
		defer func() {
			_ = env.dynamic.Resource(pipelineRunsGVR).Namespace(failed.Namespace).Delete(env.ctx, created.GetName(), metav1.DeleteOptions{})
		}()
		var got *pipelinev1.PipelineRun
		err = wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			pr, err := env.tekton.TektonV1().PipelineRuns(failed.Namespace).Get(env.ctx, created.GetName(), metav1.GetOptions{})
			if err == nil && pr.Labels["tekton.dev/pipeline"] != "" {
				got = pr
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("Tekton did not label %s in a minute (%v)", created.GetName(), err)
		}
		diffs := selectorLabelDiffs(failed.Labels, got.Labels)
		stage("resume", "without the selector labels, Tekton labels %s tekton.dev/pipeline=%s; the check reports: %s",
			got.Name, got.Labels["tekton.dev/pipeline"], strings.Join(diffs, "; "))
		if len(diffs) != len(selectorLabels) {
			t.Errorf("the check found %d of the %d dropped labels: %v", len(diffs), len(selectorLabels), diffs)
		}
	})
}

// selectorLabels are the labels by which runs are found: Tekton Pruner (keepRuns) and
// `kubectl get pipelineruns -l` by the pipeline, cancelInProgress by the trigger's listener and name.
var selectorLabels = []string{"tekton.dev/pipeline", "triggers.tekton.dev/eventlistener", "triggers.tekton.dev/trigger"}

// selectorLabelDiffs says where got's selector labels are not want's (none of them may be unset in want).
func selectorLabelDiffs(want, got map[string]string) []string {
	var diffs []string
	for _, k := range selectorLabels {
		if want[k] == "" || got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s is %q, the original's %q", k, got[k], want[k]))
		}
	}
	return diffs
}

// checkFoundLikeOriginal checks that a resumed run, reconciled by Tekton's controller (which labels a run
// with an embedded pipelineSpec after itself unless it has the label and a generateName), carries the
// original's selector labels, and that the selectors Tekton Pruner, kubectl and the canceller use list it.
func checkFoundLikeOriginal(t *testing.T, original, resumed *pipelinev1.PipelineRun) {
	t.Helper()
	got, err := env.tekton.TektonV1().PipelineRuns(resumed.Namespace).Get(env.ctx, resumed.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diffs := selectorLabelDiffs(original.Labels, got.Labels); len(diffs) > 0 {
		t.Errorf("the resumed run %s is not found as %s is: %s", got.Name, original.Name, strings.Join(diffs, "; "))
	}
	for _, selector := range []string{
		"tekton.dev/pipeline=" + original.Labels["tekton.dev/pipeline"],
		"triggers.tekton.dev/eventlistener=" + original.Labels["triggers.tekton.dev/eventlistener"] + ",triggers.tekton.dev/trigger=" + original.Labels["triggers.tekton.dev/trigger"],
	} {
		list, err := env.tekton.TektonV1().PipelineRuns(resumed.Namespace).List(env.ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range list.Items {
			found = found || r.Name == got.Name
		}
		if !found {
			t.Errorf("kubectl get pipelineruns -l %s does not list the resumed run %s", selector, got.Name)
		}
	}
	stage("resume", "%s is labelled tekton.dev/pipeline=%s, triggers.tekton.dev/eventlistener=%s, triggers.tekton.dev/trigger=%s, as %s is",
		got.Name, got.Labels["tekton.dev/pipeline"], got.Labels["triggers.tekton.dev/eventlistener"], got.Labels["triggers.tekton.dev/trigger"], original.Name)
}

// waitTaskRunDone waits until a TaskRun exists and has finished, and returns it.
func waitTaskRunDone(t *testing.T, namespace, name string) *pipelinev1.TaskRun {
	t.Helper()
	var tr *pipelinev1.TaskRun
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		var err error
		tr, err = env.tekton.TektonV1().TaskRuns(namespace).Get(env.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil // not created yet (or a passing error): polled again, as before
		}
		c := tr.Status.GetCondition(apis.ConditionSucceeded)
		return c != nil && !c.IsUnknown(), nil
	})
	if err != nil {
		t.Fatalf("TaskRun %s/%s did not finish in a minute (%v); the controller's log ends:\n%s", namespace, name, err, env.cluster.LogTail("tekton-controller.log", 3000))
	}
	return tr
}

// withRevision returns a copy of a Flux event for another revision (both metadata formats).
func withRevision(body map[string]any, revision string) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	meta := map[string]any{}
	if m, ok := body["metadata"].(map[string]any); ok {
		for k, v := range m {
			if strings.HasSuffix(k, "revision") {
				v = revision
			}
			meta[k] = v
		}
	}
	out["metadata"] = meta
	return out
}

var pipelineRunsGVR = schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: "pipelineruns"}

// runResumed resumes a run as a user would (the CLI's output, admitted by Tekton's webhook code, created)
// and waits for the new run to finish.
func runResumed(t *testing.T, run *pipelinev1.PipelineRun) *pipelinev1.PipelineRun {
	t.Helper()
	resumed := resume(t, run)
	if err := admission.Admit(resumed); err != nil {
		t.Fatal(err)
	}
	created, err := env.dynamic.Resource(pipelineRunsGVR).Namespace(run.Namespace).Create(env.ctx, resumed, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the resumed run: %v", err)
	}
	return waitDone(t, run.Namespace, created.GetName())
}

// resume runs `cdk8s-tekton-flux resume` (the compiled CLI) on a run and its TaskRuns, as a user pipes
// them from kubectl, and returns the new run.
func resume(t *testing.T, run *pipelinev1.PipelineRun) *unstructured.Unstructured {
	t.Helper()
	runObj, err := env.dynamic.Resource(pipelineRunsGVR).Namespace(run.Namespace).Get(env.ctx, run.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	trs, err := env.dynamic.Resource(schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: "taskruns"}).Namespace(run.Namespace).
		List(env.ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run.Name})
	if err != nil {
		t.Fatal(err)
	}
	items := []any{}
	for _, i := range trs.Items {
		items = append(items, i.Object)
	}
	input, _ := json.Marshal(runObj.Object)
	list, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	cmd := exec.Command("node", os.Getenv("E2E_CLI"), "resume")
	cmd.Stdin = strings.NewReader(string(input) + "\n---\n" + string(list))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cdk8s-tekton-flux resume: %v\n%s", err, stderr.String())
	}
	var obj map[string]any
	if err := yaml.Unmarshal(out, &obj); err != nil {
		t.Fatalf("resume printed something that is not YAML: %v\n%s", err, out)
	}
	return &unstructured.Unstructured{Object: obj}
}
