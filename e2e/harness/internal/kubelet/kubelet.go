// Package kubelet is a small fake kubelet: it finishes the Pods that Tekton's controller creates, as
// the real kubelet and Tekton's entrypoint would report them. Every step container terminates; the
// last one carries the termination message in which Tekton's entrypoint writes the task's results, so
// results flow between tasks as they do in a cluster. No container runs, except the steps an Executor
// names: those run for real, their script under sh on this machine, as the Pod's ServiceAccount.
package kubelet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	versioned "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"github.com/tektoncd/pipeline/pkg/result"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Kubelet finishes Tekton's Pods. Fail and ResultValue may be changed while it runs.
type Kubelet struct {
	kube   kubernetes.Interface
	tekton versioned.Interface

	mu   sync.Mutex
	fail map[string]bool // pipeline task names whose Pods fail
	// Started counts the Pods finished, by pipeline task name (a retried task counts each attempt).
	started map[string]int
	held    map[string]bool   // PipelineRuns whose Pods stay unfinished until the run is cancelled
	output  map[string]string // what executed steps printed, by "<TaskRun>/<step container>"
	exec    *Executor
}

// Executor says which steps run for real.
type Executor struct {
	// Labels: the steps of a Pod with one of these labels (Tekton copies a Task's and a TaskRun's labels to its
	// Pod) run their script under sh. Such Pods are the library's own short steps: Hold never holds them.
	Labels []string
	// Tools is a folder put first on the step's PATH (kubectl).
	Tools string
	// Kubeconfig returns the kubeconfig kubectl has in a Pod of namespace running as serviceAccount.
	Kubeconfig func(ctx context.Context, namespace, serviceAccount string) (string, error)
}

// New returns a kubelet for the cluster behind cfg.
func New(cfg *rest.Config) *Kubelet {
	return &Kubelet{
		kube:    kubernetes.NewForConfigOrDie(cfg),
		tekton:  versioned.NewForConfigOrDie(cfg),
		fail:    map[string]bool{},
		started: map[string]int{},
		held:    map[string]bool{},
		output:  map[string]string{},
	}
}

// Execute makes the steps e names run for real (nil: none).
func (k *Kubelet) Execute(e *Executor) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.exec = e
}

// AddLabels makes the steps of Pods with these labels run for real too (the executor's tools and kubeconfig).
func (k *Kubelet) AddLabels(labels ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := *k.exec
	e.Labels = append(append([]string{}, e.Labels...), labels...)
	k.exec = &e
}

// RemoveLabels undoes AddLabels.
func (k *Kubelet) RemoveLabels(labels ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := *k.exec
	e.Labels = nil
	for _, l := range k.exec.Labels {
		keep := true
		for _, r := range labels {
			keep = keep && l != r
		}
		if keep {
			e.Labels = append(e.Labels, l)
		}
	}
	k.exec = &e
}

// Hold leaves the Pods of PipelineRun `run` running (unfinished) until the run is cancelled; the Pods
// created after that (its finally tasks) finish as usual.
func (k *Kubelet) Hold(run string, hold bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.held[run] = hold
}

// Output is what the executed steps of TaskRun `taskRun` printed.
func (k *Kubelet) Output(taskRun string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key, o := range k.output {
		if strings.HasPrefix(key, taskRun+"/") {
			out = append(out, key+":\n"+o)
		}
	}
	sort.Strings(out) // by step container name: the same text every time
	return strings.Join(out, "\n")
}

// FailTask makes every Pod of the pipeline task `name` fail (or succeed again, with fail=false).
func (k *Kubelet) FailTask(name string, fail bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail[name] = fail
}

// Attempts is how many Pods of the pipeline task `name` of PipelineRun `run` were finished.
func (k *Kubelet) Attempts(run, name string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.started[run+"/"+name]
}

// ResultValue is what a task writes for one of its results: deterministic, and naming its origin so
// a test can see where a value came from.
func ResultValue(pipelineTask, result string) string {
	return fmt.Sprintf("%s-%s-value", pipelineTask, result)
}

// Run finishes Pods until ctx ends.
func (k *Kubelet) Run(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := k.kube.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=tekton-pipelines"})
		if err != nil {
			time.Sleep(time.Second) // a pause before the watch is opened again, not a poll
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.DeletionTimestamp != nil {
				continue
			}
			if err := k.finish(ctx, pod); err != nil {
				fmt.Printf("fake kubelet: %s/%s: %v\n", pod.Namespace, pod.Name, err)
			}
		}
	}
}

func (k *Kubelet) finish(ctx context.Context, pod *corev1.Pod) error {
	taskName := pod.Labels["tekton.dev/pipelineTask"]
	run := pod.Labels["tekton.dev/pipelineRun"]
	k.mu.Lock()
	held, executor := k.held[run], k.exec
	k.mu.Unlock()
	if held && !executor.labels(pod) {
		pr, err := k.tekton.TektonV1().PipelineRuns(pod.Namespace).Get(ctx, run, metav1.GetOptions{})
		if err == nil && pr.Spec.Status == "" {
			return nil // left running, as a long step would be
		}
	}
	k.mu.Lock()
	fail := k.fail[taskName]
	k.started[run+"/"+taskName]++
	k.mu.Unlock()

	var results []result.RunResult
	var taskRun *pipelinev1.TaskRun
	if tr := pod.Labels["tekton.dev/taskRun"]; tr != "" {
		// The controller may create the Pod before it has written the resolved spec into the TaskRun.
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
			got, err := k.tekton.TektonV1().TaskRuns(pod.Namespace).Get(ctx, tr, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if got.Status.TaskSpec != nil {
				taskRun = got
				results = taskResults(taskRun, taskName)
				return true, nil
			}
			return false, nil
		})
		if err != nil && !wait.Interrupted(err) {
			return err
		}
		// on a timeout the Pod is finished without the task's results, as before
	}
	now := metav1.Now()
	terminated := func(exit int32, message string) corev1.ContainerState {
		reason := "Completed"
		if exit != 0 {
			reason = "Error"
		}
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: exit, Reason: reason, Message: message, StartedAt: now, FinishedAt: now, ContainerID: "fake://" + pod.Name,
		}}
	}
	status := pod.Status.DeepCopy()
	status.StartTime = &now
	status.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		status.InitContainerStatuses = append(status.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, State: terminated(0, ""),
		})
	}
	status.ContainerStatuses = nil
	// what the executed steps of this Pod share, as Tekton's /workspace (PROMOTION_WORKDIR) and /tekton/results
	shared, err := os.MkdirTemp("", "pod-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(shared)
	written := map[string]string{}
	var steps []string
	for _, c := range pod.Spec.Containers {
		if strings.HasPrefix(c.Name, "step-") {
			steps = append(steps, c.Name)
		}
	}
	for _, c := range pod.Spec.Containers {
		exit, message := int32(0), ""
		last := len(steps) > 0 && c.Name == steps[len(steps)-1]
		if script, ok := executable(executor, pod, taskRun, c); ok && !fail {
			exit = k.runStep(ctx, executor, pod, taskRun, c, script, shared, written)
			fail = exit != 0 // the steps after it are skipped
		}
		switch {
		case exit != 0:
		case fail && len(steps) > 0 && c.Name == steps[0]:
			exit = 1
		case fail && strings.HasPrefix(c.Name, "step-"):
			// Steps after a failed one are skipped by Tekton's entrypoint, which reports exit 1.
			exit = 1
		case last && len(results) > 0:
			for i := range results {
				// an executed step's result is what it wrote, as Tekton's entrypoint reports it
				if v, ok := written[results[i].Key]; ok {
					results[i].Value = v
				}
			}
			b, _ := json.Marshal(results)
			message = string(b)
		}
		status.ContainerStatuses = append(status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, State: terminated(exit, message),
		})
	}
	if fail {
		status.Phase = corev1.PodFailed
	} else {
		status.Phase = corev1.PodSucceeded
	}
	updated := pod.DeepCopy()
	updated.Status = *status
	_, err = k.kube.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	return err
}

// executable returns the script of step container c when the executor runs it.
func executable(e *Executor, pod *corev1.Pod, tr *pipelinev1.TaskRun, c corev1.Container) (string, bool) {
	if e == nil || tr == nil || tr.Status.TaskSpec == nil {
		return "", false
	}
	if !e.labels(pod) {
		return "", false
	}
	for _, step := range tr.Status.TaskSpec.Steps {
		if "step-"+step.Name == c.Name && step.Script != "" {
			return step.Script, true
		}
	}
	return "", false
}

// labels is whether the Pod has one of the executor's labels.
func (e *Executor) labels(pod *corev1.Pod) bool {
	if e == nil {
		return false
	}
	for _, l := range e.Labels {
		if _, ok := pod.Labels[l]; ok {
			return true
		}
	}
	return false
}

// runStep runs a step's script under sh with the container's env, the executor's tools first on PATH
// and the Pod's ServiceAccount's kubeconfig; it returns the exit code. The Pod's steps share `shared`: its
// workspace/ is the steps' /workspace (PROMOTION_WORKDIR) and results/ takes the files the script writes at
// $(results.<name>.path) (/tekton/results/<name>, as Tekton substitutes it), read back into `written`.
func (k *Kubelet) runStep(ctx context.Context, e *Executor, pod *corev1.Pod, tr *pipelinev1.TaskRun, c corev1.Container, script, shared string,
	written map[string]string) int32 {
	taskRun := tr.Name
	record := func(out string) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.output[taskRun+"/"+c.Name] = out
	}
	kubeconfig, err := e.Kubeconfig(ctx, pod.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		record(err.Error())
		return 1
	}
	dir, err := os.MkdirTemp("", "step-")
	if err != nil {
		record(err.Error())
		return 1
	}
	defer os.RemoveAll(dir)
	resultsDir, workspace := filepath.Join(shared, "results"), filepath.Join(shared, "workspace")
	for _, d := range []string{resultsDir, workspace} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			record(err.Error())
			return 1
		}
	}
	for _, r := range tr.Status.TaskSpec.Results {
		// as written, or as Tekton has substituted it
		script = strings.ReplaceAll(script, "$(results."+r.Name+".path)", filepath.Join(resultsDir, r.Name))
		script = strings.ReplaceAll(script, "/tekton/results/"+r.Name, filepath.Join(resultsDir, r.Name))
	}
	file := filepath.Join(dir, "script")
	if err := os.WriteFile(file, []byte(script), 0o700); err != nil {
		record(err.Error())
		return 1
	}
	// the images' shell when the tools have it (BusyBox's, as in the Alpine-based images), else this machine's
	shell := "sh"
	if _, err := os.Stat(filepath.Join(e.Tools, "sh")); err == nil {
		shell = filepath.Join(e.Tools, "sh")
	}
	cmd := exec.CommandContext(ctx, shell, file)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + e.Tools + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "KUBECONFIG=" + kubeconfig, "PROMOTION_WORKDIR=" + workspace}
	for _, v := range c.Env {
		switch {
		case v.ValueFrom == nil:
			cmd.Env = append(cmd.Env, v.Name+"="+v.Value)
		case v.ValueFrom.SecretKeyRef != nil:
			// as the kubelet does: the key's value, or no container when the Secret or key is missing (unless optional)
			ref := v.ValueFrom.SecretKeyRef
			secret, err := k.kube.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			value, found := []byte(nil), false
			if err == nil {
				value, found = secret.Data[ref.Key]
			}
			if !found {
				if ref.Optional != nil && *ref.Optional {
					continue
				}
				record(fmt.Sprintf("CreateContainerConfigError: secret %q key %q: %v", ref.Name, ref.Key, err))
				return 1
			}
			cmd.Env = append(cmd.Env, v.Name+"="+string(value))
		}
	}
	out, err := cmd.CombinedOutput()
	record(string(out))
	for _, r := range tr.Status.TaskSpec.Results {
		if b, readErr := os.ReadFile(filepath.Join(resultsDir, r.Name)); readErr == nil {
			written[r.Name] = string(b)
		}
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return int32(exitErr.ExitCode())
	default:
		return 1
	}
}

// taskResults are the results the TaskRun's task declares, with their values.
func taskResults(tr *pipelinev1.TaskRun, pipelineTask string) []result.RunResult {
	if tr.Status.TaskSpec == nil {
		return nil
	}
	var out []result.RunResult
	for _, r := range tr.Status.TaskSpec.Results {
		out = append(out, result.RunResult{Key: r.Name, Value: ResultValue(pipelineTask, r.Name), ResultType: result.TaskRunResultType})
	}
	return out
}
