// The control-plane suite: a real kube-apiserver, the pinned upstream CRDs, the manifests applied as
// Flux applies them, Tekton Triggers' listener code turning Flux events into runs under the
// listener's own ServiceAccount, and Tekton Pipelines' controller reconciling the runs.
//
// Run it with `npm run e2e` (e2e/run.sh builds the binaries and writes the inputs); the environment
// names what it needs: E2E_BIN (etcd, kube-apiserver, controller, eventlistenersink), E2E_INPUTS (the
// folder e2e/inputs.ts wrote) and E2E_WORK (a scratch folder).
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	triggersclient "github.com/tektoncd/triggers/pkg/client/clientset/versioned"

	"cdk8s-tekton-flux/e2e/harness/internal/cluster"
	"cdk8s-tekton-flux/e2e/harness/internal/flux"
	"cdk8s-tekton-flux/e2e/harness/internal/kubelet"
	"cdk8s-tekton-flux/e2e/harness/internal/listener"
	"cdk8s-tekton-flux/e2e/harness/internal/proxy"
	"cdk8s-tekton-flux/e2e/harness/internal/upstream"
)

// env is the running control plane, shared by every test of the suite.
var env struct {
	ctx      context.Context
	cluster  *cluster.Cluster
	bin      string
	inputs   string
	flux     *flux.Manager
	kube     kubernetes.Interface
	dynamic  dynamic.Interface
	tekton   tektonclient.Interface
	triggers triggersclient.Interface
	kubelet  *kubelet.Kubelet
	proxy    *proxy.Proxy
	// events is where Flux's controllers post events: notification-controller's event server.
	events string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env.bin, env.inputs = os.Getenv("E2E_BIN"), os.Getenv("E2E_INPUTS")
	work := os.Getenv("E2E_WORK")
	if env.bin == "" || env.inputs == "" || work == "" {
		fmt.Fprintln(os.Stderr, "E2E_BIN, E2E_INPUTS and E2E_WORK must be set: run the suite with `npm run e2e`")
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.ctx = ctx
	started := time.Now()
	c, err := cluster.Start(ctx, env.bin, filepath.Join(work, "cluster"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The suite's own clients (the fake kubelet's watch, the interceptors) end before the control plane
	// stops: kube-apiserver's graceful shutdown waits for open watches.
	defer func() { cancel(); c.Stop() }()
	env.cluster = c
	stage("control plane", "%s ready on %s in %s", c.Kind(), c.URL, time.Since(started).Round(100*time.Millisecond))
	if err := setUp(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "set-up failed:", err)
		fmt.Fprintln(os.Stderr, "logs are in", c.Dir)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "logs of the control plane, listeners and controller are in", c.Dir)
	}
	return code
}

func stage(name, format string, args ...any) {
	fmt.Printf("[e2e] %-22s %s\n", name, fmt.Sprintf(format, args...))
}

func setUp(ctx context.Context) error {
	c := env.cluster
	env.kube = kubernetes.NewForConfigOrDie(c.Admin)
	env.dynamic = dynamic.NewForConfigOrDie(c.Admin)
	env.tekton = tektonclient.NewForConfigOrDie(c.Admin)
	env.triggers = triggersclient.NewForConfigOrDie(c.Admin)
	var err error
	if env.flux, err = flux.NewManager(c.Admin); err != nil {
		return err
	}
	mods, err := upstream.Load(filepath.Join("..", "upstream"))
	if err != nil {
		return err
	}
	crds, err := mods.CRDs()
	if err != nil {
		return err
	}
	copied, err := copiedCRDs()
	if err != nil {
		return err
	}
	crds = append(crds, copied...)
	release, err := mods.Release()
	if err != nil {
		return err
	}
	pruner, err := mods.WithPruner(os.Getenv("E2E_PRUNER_SRC")).PrunerRelease()
	if err != nil {
		return err
	}
	release = append(release, pruner...)
	cs, err := env.flux.Apply(ctx, append(crds, release...))
	if err != nil {
		return fmt.Errorf("installing the upstream CRDs and release objects: %w", err)
	}
	stage("upstream", "%d CRDs of Tekton Pipelines, Tekton Triggers, Flux (%d of its image automation, copied at pinned commits) and External Secrets Operator, "+
		"%d release objects installed (%d entries)", len(crds), len(copied), len(release), len(cs.Entries))

	// The namespaces a cluster running Flux and CI has, each with its default ServiceAccount (no
	// controller-manager runs here to create it).
	for _, ns := range []string{"flux-system", "ci"} {
		if err := ensureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	logger := zap.NewNop().Sugar()
	if err := listener.StartInterceptors(ctx, c, logger); err != nil {
		return fmt.Errorf("core interceptors: %w", err)
	}
	if err := startTektonController(ctx); err != nil {
		return err
	}
	if err := startPruner(); err != nil {
		return err
	}
	if err := startNotificationController(ctx); err != nil {
		return err
	}
	if err := startExternalSecrets(); err != nil {
		return err
	}
	env.kubelet = kubelet.New(c.Admin)
	tools := filepath.Join(c.Dir, "tools")
	if err := os.MkdirAll(tools, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(filepath.Join(env.bin, "kubectl"), filepath.Join(tools, "kubectl")); err != nil {
		return err
	}
	// The steps run with the tools of their Alpine-based images: BusyBox's applets (README: apt-get install busybox),
	// then this machine's git and curl, which those images ship.
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("BusyBox is not installed (the library's steps run with the tools of their images): %w", err)
	}
	for _, applet := range busyboxApplets {
		if err := os.Symlink(busybox, filepath.Join(tools, applet)); err != nil {
			return err
		}
	}
	// The library's own steps that act on the cluster or the outside (the canceller of superseded runs, with kubectl;
	// the commit status, with curl) run for real.
	env.kubelet.Execute(&kubelet.Executor{
		Labels: []string{"cdk8s-tekton-flux/cancels-superseded", "cdk8s-tekton-flux/commit-status"}, Tools: tools, Kubeconfig: c.PodKubeconfig,
	})
	go env.kubelet.Run(ctx)
	stage("controllers", "Triggers core interceptors, Tekton Pipelines controller, Tekton Pruner, Flux's notification-controller, "+
		"External Secrets Operator's controller and the fake kubelet running")
	return nil
}

// busyboxApplets are the tools the library's steps use from their images (alpine/git, curlimages/curl, flux-cli).
var busyboxApplets = []string{"sh", "awk", "sed", "grep", "find", "sort", "head", "tr", "cut", "cat", "rm", "mkdir", "mv", "cp", "base64",
	"timeout", "sleep", "mktemp", "printf", "pwd", "echo", "test", "[", "wc", "uniq", "env", "ls", "touch", "basename", "dirname", "expr",
	"true", "false", "date", "tail", "od"}

func ensureNamespace(ctx context.Context, name string) error {
	_, err := env.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	_, err = env.kube.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// startNotificationController runs Flux's notification-controller (as the admin) with the proxy that
// stands in for the Service network, so that a Provider's in-cluster address reaches the listener's sink.
func startNotificationController(ctx context.Context) error {
	p, err := proxy.Start(ctx)
	if err != nil {
		return err
	}
	env.proxy = p
	env.events, err = spawnNotificationController(env.cluster, p.URL)
	return err
}

// spawnNotificationController runs Flux's notification-controller against cluster c as its admin, with the
// proxy at proxyURL as its network; it returns the URL of its event server.
func spawnNotificationController(c *cluster.Cluster, proxyURL string) (string, error) {
	kubeconfig, err := c.WriteKubeconfig("admin", c.Admin)
	if err != nil {
		return "", err
	}
	events := "127.0.0.1:" + strconv.Itoa(cluster.FreePort())
	_, err = c.Spawn([]string{
		"KUBECONFIG=" + kubeconfig,
		"RUNTIME_NAMESPACE=flux-system",
		"HTTP_PROXY=" + proxyURL,
		"HTTPS_PROXY=" + proxyURL,
		"NO_PROXY=127.0.0.1,localhost",
	}, "notification-controller.log", filepath.Join(env.bin, "notification-controller"),
		"--events-addr="+events,
		"--receiverAddr=127.0.0.1:"+strconv.Itoa(cluster.FreePort()),
		"--metrics-addr=127.0.0.1:"+strconv.Itoa(cluster.FreePort()),
		"--health-addr=127.0.0.1:"+strconv.Itoa(cluster.FreePort()),
		"--enable-leader-election=false",
		"--watch-all-namespaces=true",
		"--log-level=debug",
	)
	return "http://" + events, err
}

// startExternalSecrets runs External Secrets Operator's controller (its root command, as its release Deployment
// does), as the admin: only the ExternalSecret reconciler (a listener's generated token) is needed, so the
// cluster-store and push reconcilers are off.
func startExternalSecrets() error {
	return spawnAsAdmin(nil, "external-secrets.log", "external-secrets",
		"--metrics-addr=127.0.0.1:"+strconv.Itoa(cluster.FreePort()),
		"--enable-leader-election=false",
		"--enable-cluster-store-reconciler=false",
		"--enable-cluster-external-secret-reconciler=false",
		"--enable-cluster-push-secret-reconciler=false",
		"--enable-push-secret-reconciler=false",
		"--loglevel=debug",
	)
}

// startPruner runs Tekton Pruner's controller with the environment of its release Deployment
// (config/controller.yaml), as the admin like Tekton's controller.
func startPruner() error {
	return spawnAsAdmin([]string{
		"SYSTEM_NAMESPACE=tekton-pipelines",
		"CONFIG_LOGGING_NAME=config-logging-tekton-pruner",
		"CONFIG_OBSERVABILITY_NAME=config-observability-tekton-pruner",
		"METRICS_DOMAIN=pruner.tekton.dev",
		"CONFIG_LEADERELECTION_NAME=config-leader-election-tekton-pruner-controller",
		"KUBERNETES_MIN_VERSION=1.0.0",
		"PROBES_PORT=" + strconv.Itoa(cluster.FreePort()),
	}, "tekton-pruner.log", "pruner-controller", "-disable-ha")
}

// spawnAsAdmin starts one of the built binaries with a kubeconfig of the cluster's admin and the given
// environment: the controllers' own RBAC is not what this suite tests.
func spawnAsAdmin(environ []string, log, binary string, args ...string) error {
	c := env.cluster
	kubeconfig, err := c.WriteKubeconfig("admin", c.Admin)
	if err != nil {
		return err
	}
	_, err = c.Spawn(append([]string{"KUBECONFIG=" + kubeconfig}, environ...), log, filepath.Join(env.bin, binary), args...)
	return err
}

// startTektonController runs Tekton Pipelines' controller binary with the environment and arguments
// of its release Deployment (config/controller.yaml). It runs as the admin: its own RBAC is not
// what this suite tests.
func startTektonController(ctx context.Context) error {
	return spawnAsAdmin([]string{
		"SYSTEM_NAMESPACE=tekton-pipelines",
		"KUBERNETES_MIN_VERSION=v1.28.0",
		"CONFIG_DEFAULTS_NAME=config-defaults",
		"CONFIG_LOGGING_NAME=config-logging",
		"CONFIG_OBSERVABILITY_NAME=config-observability",
		"CONFIG_FEATURE_FLAGS_NAME=feature-flags",
		"CONFIG_LEADERELECTION_NAME=config-leader-election-controller",
		"CONFIG_SPIRE=config-spire",
		"METRICS_DOMAIN=tekton.dev/pipeline",
		"PROBES_PORT=" + strconv.Itoa(cluster.FreePort()),
	}, "tekton-controller.log", "controller",
		"-entrypoint-image", "ghcr.io/tektoncd/pipeline/entrypoint:v1.15.0",
		"-nop-image", "ghcr.io/tektoncd/pipeline/nop:v1.15.0",
		"-sidecarlogresults-image", "ghcr.io/tektoncd/pipeline/sidecarlogresults:v1.15.0",
		"-workingdirinit-image", "ghcr.io/tektoncd/pipeline/workingdirinit:v1.15.0",
		"-shell-image", "cgr.dev/chainguard/busybox@sha256:19f02276bf8dbdd62f069b922f10c65262cc34b710eea26ff928129a736be791",
		"-shell-image-win", "mcr.microsoft.com/powershell:nanoserver@sha256:b6d5ff841b78bdf2dfed7550000fd4f3437385b8fa686ec0f010be24777654d6",
		"-disable-ha",
	)
}
