// Package listener runs Tekton Triggers' own code: the core interceptors (in-process, served over
// HTTPS on loopback, with ClusterInterceptor objects pointing there) and the EventListener sink (the
// binary of the EventListener image, built from its module) under the listener's ServiceAccount, so
// that the API server enforces the RBAC the library generated.
package listener

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	triggersv1alpha1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1alpha1"
	triggersclient "github.com/tektoncd/triggers/pkg/client/clientset/versioned"
	"github.com/tektoncd/triggers/pkg/interceptors"
	"github.com/tektoncd/triggers/pkg/interceptors/server"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"

	"cdk8s-tekton-flux/e2e/harness/internal/cluster"
)

// CoreInterceptors are the ClusterInterceptors a Triggers release installs.
var CoreInterceptors = []string{"cel", "github", "gitlab", "bitbucket", "slack"}

// StartInterceptors serves Triggers' core interceptors on a loopback port and creates their
// ClusterInterceptor objects pointing there. In a cluster they run as Triggers' own ServiceAccount,
// which may read Secrets (for compareSecret and webhook signatures); here, as the admin.
func StartInterceptors(ctx context.Context, c *cluster.Cluster, logger *zap.SugaredLogger) error {
	kube := kubernetes.NewForConfigOrDie(c.Admin)
	srv, err := server.NewWithCoreInterceptors(interceptors.DefaultSecretGetter(kube.CoreV1()), logger)
	if err != nil {
		return err
	}
	cert, err := c.ServingCert("tekton-triggers-core-interceptors")
	if err != nil {
		return err
	}
	port := cluster.FreePort()
	l, err := tls.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpServer.Serve(l) }()
	go func() { <-ctx.Done(); _ = httpServer.Close() }()

	tc := triggersclient.NewForConfigOrDie(c.Admin)
	for _, name := range CoreInterceptors {
		u, _ := apis.ParseURL(fmt.Sprintf("https://127.0.0.1:%d/%s", port, name))
		ci := &triggersv1alpha1.ClusterInterceptor{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"server/type": "https"}},
			Spec: triggersv1alpha1.ClusterInterceptorSpec{ClientConfig: triggersv1alpha1.ClientConfig{
				URL: u, CaBundle: c.CAPEM(),
			}},
		}
		if _, err := tc.TriggersV1alpha1().ClusterInterceptors().Create(ctx, ci, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// Sink is one running EventListener sink.
type Sink struct {
	Namespace, Name string
	URL             string // http://127.0.0.1:<port>, or https:// when it serves TLS
	log             string
	c               *cluster.Cluster
	client          *http.Client
}

// TLS is the certificate a sink serves (as Triggers mounts the EventListener's TLS Secret).
type TLS struct {
	CertFile, KeyFile string
	CA                []byte // what clients trust
}

// StartSink runs the EventListener sink for namespace/name as the ServiceAccount serviceAccount and
// waits until it answers.
func StartSink(ctx context.Context, c *cluster.Cluster, binDir, namespace, name, serviceAccount string, tlsFiles *TLS) (*Sink, error) {
	cfg, err := c.ServiceAccountConfig(ctx, namespace, serviceAccount)
	if err != nil {
		return nil, err
	}
	kubeconfig, err := c.WriteKubeconfig("sa-"+namespace+"-"+serviceAccount, cfg)
	if err != nil {
		return nil, err
	}
	port := cluster.FreePort()
	log := fmt.Sprintf("sink-%s-%s.log", namespace, name)
	// The arguments and environment of the container Triggers' reconciler generates for an
	// EventListener (pkg/reconciler/eventlistener/resources/container.go), with release defaults.
	scheme, tlsArgs, client := "http", []string{}, &http.Client{Timeout: 30 * time.Second}
	if tlsFiles != nil {
		// Triggers' reconciler adds these arguments when the EventListener names TLS_CERT and TLS_KEY.
		scheme, tlsArgs = "https", []string{"--tls-cert=" + tlsFiles.CertFile, "--tls-key=" + tlsFiles.KeyFile}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(tlsFiles.CA)
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	_, err = c.Spawn([]string{
		"KUBECONFIG=" + kubeconfig, "SYSTEM_NAMESPACE=tekton-pipelines",
		"NAMESPACE=" + namespace, "NAME=" + name, "EL_EVENT=disable", "K_SINK_TIMEOUT=5",
		"METRICS_PROMETHEUS_PORT=" + strconv.Itoa(cluster.FreePort()),
		// `loglevel.eventlistener: debug` in config-logging-triggers: the sink then logs why an
		// interceptor dropped an event (at info it logs only the events that fire).
		`K_LOGGING_CONFIG={"loglevel.eventlistener":"debug"}`,
	}, log, binDir+"/eventlistenersink", append([]string{
		"--el-name=" + name, "--el-namespace=" + namespace, "--port=" + strconv.Itoa(port),
		"--readtimeout=5", "--writetimeout=40", "--idletimeout=30", "--timeouthandler=5",
		"--httpclient-readtimeout=30", "--httpclient-keep-alive=30", "--httpclient-tlshandshaketimeout=10",
		"--httpclient-responseheadertimeout=10", "--httpclient-expectcontinuetimeout=1",
		"--is-multi-ns=false", "--payload-validation=true", "--cloudevent-uri=",
	}, tlsArgs...)...)
	if err != nil {
		return nil, err
	}
	s := &Sink{Namespace: namespace, Name: name, URL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), log: log, c: c, client: client}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		resp, err := client.Get(s.URL + "/live")
		if err != nil {
			return false, nil // not listening yet
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return nil, fmt.Errorf("EventListener sink %s/%s did not answer in 90s (%v); its log ends:\n%s", namespace, name, err, s.Log(3000))
	}
	return s, nil
}

// Log returns the end of the sink's log.
func (s *Sink) Log(n int) string { return s.c.LogTail(s.log, n) }

// Post sends a Flux event body as notification-controller's generic Provider does.
func (s *Sink) Post(body []byte, headers map[string]string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("gotk-component", "source-controller")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
