package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"knative.dev/pkg/apis"
)

// gitServer is where the promotion-gates set's config repository is served (e2e/inputs.ts GIT_SERVER): the fake
// kubelet runs the git steps on this machine, so a loopback port reaches it.
const gitServer = "127.0.0.1:18090"

// configRepo is a bare repository served over git's smart HTTP (git http-backend as CGI), pushes allowed, and a
// work tree beside it to read and seed it.
type configRepo struct {
	bare, work string
}

func (r *configRepo) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.invalid", "GIT_COMMITTER_NAME=e2e",
		"GIT_COMMITTER_EMAIL=e2e@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes each environment's marked tag and pushes one commit; it returns the commit.
func (r *configRepo) commit(t *testing.T, message string, tags map[string]string) string {
	t.Helper()
	if r.git(t, r.work, "ls-remote", "origin", "refs/heads/main") != "" {
		r.git(t, r.work, "pull", "-q", "origin", "main")
	}
	for env, tag := range tags {
		dir := filepath.Join(r.work, "envs", env)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: ghcr.io/acme/web\n    newTag: %s # {\"$promotion\": \"web\"}\n", tag)
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.git(t, r.work, "add", "-A")
	r.git(t, r.work, "commit", "-qm", message)
	r.git(t, r.work, "push", "-q", "origin", "HEAD:main")
	return r.git(t, r.work, "rev-parse", "HEAD")
}

var markedTag = regexp.MustCompile(`newTag: (\S+) # \{"\$promotion": "web"\}`)

// tag is the version env runs at the head of main; head is the head commit's message.
func (r *configRepo) tag(t *testing.T, env string) string {
	t.Helper()
	m := markedTag.FindStringSubmatch(r.git(t, r.bare, "show", "main:envs/"+env+"/kustomization.yaml"))
	if m == nil {
		return ""
	}
	return m[1]
}

func (r *configRepo) head(t *testing.T) string {
	t.Helper()
	return r.git(t, r.bare, "log", "-1", "--format=%B", "main")
}

// serveConfigRepo starts the server with a fleet repository whose three environments run 1.3.0.
func serveConfigRepo(t *testing.T) *configRepo {
	t.Helper()
	root := t.TempDir()
	r := &configRepo{bare: filepath.Join(root, "fleet.git"), work: filepath.Join(root, "work")}
	r.git(t, root, "init", "-q", "--bare", "-b", "main", r.bare)
	r.git(t, r.bare, "config", "http.receivepack", "true")
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", gitServer)
	if err != nil {
		t.Fatalf("the config repository cannot be served on %s (e2e/inputs.ts GIT_SERVER): %v", gitServer, err)
	}
	handler := &cgi.Handler{Path: gitPath, Args: []string{"http-backend"}, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(l) }()
	t.Cleanup(func() { _ = server.Close() })
	r.git(t, root, "clone", "-q", "http://"+gitServer+"/fleet.git", r.work)
	r.git(t, r.work, "checkout", "-q", "-b", "main")
	r.commit(t, "initial", map[string]string{"dev": "1.3.0", "staging": "1.3.0", "production": "1.3.0"})
	return r
}

// soakClock runs the script of the set's soak clock CronJob (its container's command and env, env overridden by
// `override`) under BusyBox as its ServiceAccount, as one Job of the CronJob would; it returns what it printed.
func soakClock(t *testing.T, s *inputSet, override map[string]string) string {
	t.Helper()
	var job *unstructured.Unstructured
	for _, o := range s.manifests {
		if o.GetKind() == "CronJob" {
			job = o
		}
	}
	if job == nil {
		t.Fatalf("%s has no soak clock CronJob", s.name)
	}
	pod, _, _ := unstructured.NestedMap(job.Object, "spec", "jobTemplate", "spec", "template", "spec")
	containers, _, _ := unstructured.NestedSlice(pod, "containers")
	container := containers[0].(map[string]any)
	command, _, _ := unstructured.NestedStringSlice(container, "command")
	account, _, _ := unstructured.NestedString(pod, "serviceAccountName")
	kubeconfig, err := env.cluster.PodKubeconfig(env.ctx, job.GetNamespace(), account)
	if err != nil {
		t.Fatal(err)
	}
	tools := filepath.Join(env.cluster.Dir, "tools")
	cmd := exec.Command(filepath.Join(tools, "sh"), "-c", command[2])
	cmd.Env = []string{"PATH=" + tools, "KUBECONFIG=" + kubeconfig, "HOME=" + t.TempDir()}
	envs, _, _ := unstructured.NestedSlice(container, "env")
	for _, e := range envs {
		m := e.(map[string]any)
		name, value := m["name"].(string), fmt.Sprint(m["value"])
		if v, ok := override[name]; ok {
			value = v
		}
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the soak clock failed: %v\n%s", err, out)
	}
	return string(out)
}

// Promotion gates under Tekton's real controller, with the git steps run for real against a served bare
// repository: staging's event creates a run that waits, without a Pod, until the soak clock (the CronJob's own
// script) starts it after the soak; then a passing verify promotes to production, and a failing one makes the
// rollback commit that sets staging back to the version it ran before.
func TestPromotionGates(t *testing.T) {
	repo := serveConfigRepo(t)
	s := loadSet(t, "promotion-gates")
	applySet(t, s)
	defer deleteSet(t, s)
	// the git steps (read-version, promote, rollback) run for real, beside the canceller and the status steps
	env.kubelet.AddLabels("cdk8s-tekton-flux/config-repo")
	defer env.kubelet.RemoveLabels("cdk8s-tekton-flux/config-repo")
	const ns = "ci-gates"
	const soak = 5 * time.Second
	sink := sinkFor(t, s, s.events[0].Listener)
	start := func(commit string) *pipelinev1.PipelineRun {
		t.Helper()
		runs := post(t, sink, withRevision(s.events[0].Body, "main@sha1:"+commit), fluxHeaders(t, s, sink), 1)
		if len(runs) != 1 {
			t.Fatalf("staging's event for %s: want one run, the listener created %d", commit, len(runs))
		}
		return &runs[0]
	}
	// soakDifference: the run waited, pending and without TaskRuns, until its soak was over; then it ran
	soakDifference := func(pr *pipelinev1.PipelineRun) string {
		done := waitDone(t, ns, pr.Name)
		first := time.Time{}
		for _, tr := range taskRuns(t, done) {
			if first.IsZero() || tr.CreationTimestamp.Time.Before(first) {
				first = tr.CreationTimestamp.Time
			}
		}
		if first.IsZero() {
			return fmt.Sprintf("run %s ran no task: %s", pr.Name, describeRun(t, done))
		}
		// creation times have whole seconds: the first task may start within the second the soak ended
		if waited := first.Sub(done.CreationTimestamp.Time); waited < soak-time.Second {
			return fmt.Sprintf("run %s started its first task %s after it was created, before its %s soak was over", pr.Name, waited, soak)
		}
		return ""
	}
	// tickUntilStarted: the clock leaves the run pending while the soak lasts, and starts it once it is over
	tickUntilStarted := func(pr *pipelinev1.PipelineRun, override map[string]string) {
		t.Helper()
		if out := soakClock(t, s, override); override == nil && !strings.Contains(out, pr.Name+" waits") {
			t.Errorf("the soak clock did not leave %s waiting at once: %s", pr.Name, out)
		}
		last := ""
		err := wait.PollUntilContextTimeout(env.ctx, time.Second, 30*time.Second, true, func(context.Context) (bool, error) {
			got, err := env.tekton.TektonV1().PipelineRuns(ns).Get(env.ctx, pr.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if got.Spec.Status == "" {
				return true, nil
			}
			if len(taskRuns(t, got)) > 0 {
				return false, fmt.Errorf("run %s has TaskRuns while it is %s", pr.Name, got.Spec.Status)
			}
			last = soakClock(t, s, override)
			return false, nil
		})
		if err != nil {
			t.Fatalf("run %s was not started by the soak clock: %v; the clock printed:\n%s", pr.Name, err, last)
		}
	}

	// 1. staging applied 1.4.0 and passes its verify: after the soak, production gets 1.4.0
	c1 := repo.commit(t, "promote web 1.4.0 from dev to staging", map[string]string{"dev": "1.4.0", "staging": "1.4.0"})
	pr := start(c1)
	if pr.Spec.Status != pipelinev1.PipelineRunSpecStatusPending {
		t.Fatalf("run %s was created %q, want %q (it waits out staging's soak)", pr.Name, pr.Spec.Status, pipelinev1.PipelineRunSpecStatusPending)
	}
	tickUntilStarted(pr, nil)
	if d := soakDifference(pr); d != "" {
		t.Error(d)
	}
	done := waitDone(t, ns, pr.Name)
	if !done.Status.GetCondition(apis.ConditionSucceeded).IsTrue() || repo.tag(t, "production") != "1.4.0" {
		t.Fatalf("after the soak, production runs %q (want 1.4.0); run %s: %s\npromote printed:\n%s", repo.tag(t, "production"), pr.Name,
			describeRun(t, done), env.kubelet.Output(pr.Name+"-read-version")+env.kubelet.Output(pr.Name+"-promote"))
	}
	stage("promotion gates", "staging's event → %s pending %s (no Pod) → started by the soak clock → production 1.4.0 (%q)",
		pr.Name, soak, firstLine(repo.head(t)))

	// 2. staging applied 1.5.0 and fails its verify: one rollback commit sets it back to 1.4.0; production keeps 1.4.0
	env.kubelet.FailTask("verify-staging", true)
	c2 := repo.commit(t, "promote web 1.5.0 from dev to staging", map[string]string{"dev": "1.5.0", "staging": "1.5.0"})
	pr = start(c2)
	tickUntilStarted(pr, nil)
	done = waitDone(t, ns, pr.Name)
	env.kubelet.FailTask("verify-staging", false)
	rollbackDifference := func() string {
		head := repo.head(t)
		if repo.tag(t, "staging") != "1.4.0" || !strings.HasPrefix(head, "rollback web in staging to 1.4.0") ||
			!strings.Contains(head, "Promotion-Rollback: web staging 1.5.0") || repo.tag(t, "production") != "1.4.0" {
			return fmt.Sprintf("staging runs %q, production %q, the head commit says %q (want staging back at 1.4.0 by a rollback commit of 1.5.0); "+
				"the rollback printed:\n%s", repo.tag(t, "staging"), repo.tag(t, "production"), head, env.kubelet.Output(pr.Name+"-rollback-staging"))
		}
		return ""
	}
	if done.Status.GetCondition(apis.ConditionSucceeded).IsTrue() {
		t.Errorf("run %s succeeded although staging's verify failed: %s", pr.Name, describeRun(t, done))
	}
	if d := rollbackDifference(); d != "" {
		t.Fatal(d)
	}
	stage("promotion gates", "staging's verify of 1.5.0 failed → %s: %q", pr.Name, firstLine(repo.head(t)))

	// 3. a newer revision while a run waits: the new run's canceller cancels the waiting one (it never runs a task),
	// and only the newer version reaches production, after its own soak
	c3 := repo.commit(t, "promote web 1.6.0 from dev to staging", map[string]string{"dev": "1.6.0", "staging": "1.6.0"})
	older := start(c3)
	// creation times have whole seconds, and of two runs of one second the canceller keeps the name that sorts last:
	// the newer revision's run is created in a later second, as a later Flux event would be
	time.Sleep(1100 * time.Millisecond)
	c4 := repo.commit(t, "promote web 1.7.0 from dev to staging", map[string]string{"dev": "1.7.0", "staging": "1.7.0"})
	newer := start(c4)
	cancelled := waitDone(t, ns, older.Name)
	for name := range taskRuns(t, cancelled) {
		if name == "read-version" || name == "verify-staging" || name == "promote" {
			t.Errorf("the superseded run %s ran %s: %s", older.Name, name, describeRun(t, cancelled))
		}
	}
	// a run that never started is cancelled (a started one would be stopped, its verify finishing with its own result)
	if cancelled.Spec.Status != pipelinev1.PipelineRunSpecStatusCancelledRunFinally {
		t.Errorf("the waiting run %s is %q after a newer revision, want %q: %s", older.Name, cancelled.Spec.Status,
			pipelinev1.PipelineRunSpecStatusCancelledRunFinally, describeRun(t, cancelled))
	}
	tickUntilStarted(newer, nil)
	if d := soakDifference(newer); d != "" {
		t.Error(d)
	}
	if got := repo.tag(t, "production"); got != "1.7.0" {
		t.Errorf("after the newer revision's soak, production runs %q, want 1.7.0; promote printed:\n%s", got, env.kubelet.Output(newer.Name+"-promote"))
	}
	stage("promotion gates", "a newer revision while %s waited: cancelled (no task ran); %s soaked and promoted 1.7.0", older.Name, newer.Name)

	// Planted faults: a clock that does not wait (SOAK=0) is caught by the soak check; a run whose verify passes
	// leaves no rollback, which the rollback check reports.
	c5 := repo.commit(t, "promote web 1.8.0 from dev to staging", map[string]string{"dev": "1.8.0", "staging": "1.8.0"})
	pr = start(c5)
	tickUntilStarted(pr, map[string]string{"SOAK": "0"})
	if d := soakDifference(pr); d == "" {
		t.Errorf("planted fault: run %s was started at once (SOAK=0), and the soak check did not see it", pr.Name)
	} else {
		stage("promotion gates", "planted fault (a clock without soak) caught: %s", d)
	}
	if d := rollbackDifference(); d == "" {
		t.Errorf("planted fault: staging runs %s after a passing verify, and the rollback check did not see it", repo.tag(t, "staging"))
	} else {
		stage("promotion gates", "planted fault (no rollback) caught: %s", firstLine(d))
	}
}
