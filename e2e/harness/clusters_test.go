package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"cdk8s-tekton-flux/e2e/harness/internal/cluster"
	"cdk8s-tekton-flux/e2e/harness/internal/flux"
	"cdk8s-tekton-flux/e2e/harness/internal/listener"
	"cdk8s-tekton-flux/e2e/harness/internal/proxy"
	"cdk8s-tekton-flux/e2e/harness/internal/upstream"
)

// What examples/clusters names, and the Secrets a user makes by hand for it: the listener ci/flux-events in cluster
// ci at https://ci.acme.example/flux-events; staging's Provider flux-system/flux-events-ci-ci (the listener's name,
// cluster and namespace) posts there with the token of Secret flux-events-ci-ci-flux-token (key headers); the
// listener compares key token of Secret flux-events-flux-token-staging in ci, of the same value; the Provider trusts
// the CA in flux-system/ci-ingress-ca (key ca.crt).
const (
	externalHost      = "ci.acme.example"
	externalURL       = "https://" + externalHost + "/flux-events"
	tokenSecret       = "flux-events-flux-token-staging"
	providerSecret    = "flux-events-ci-ci-flux-token"
	ingressCASecret   = "ci-ingress-ca"
	promotionRunName  = "web-to-production-"
	stagingProvider   = "flux-events-ci-ci"
	listenerNamespace = "ci"
)

// Fleets of clusters (examples/clusters), with two control planes: the suite's own is cluster ci (Tekton, Triggers'
// listener ci/flux-events and its Ingress), a second one started here is cluster staging with Flux's CRDs and its
// own notification-controller. Each gets its folder of the output applied as its Flux would apply it. Staging's
// kustomize-controller event (Kustomization flux-system/web applied a revision) goes to staging's
// notification-controller, which adds the Alert's eventMetadata (cluster: staging) and staging's token and POSTs it
// over HTTPS to the external URL; a stand-in for the ingress controller, reading the Ingress from cluster ci, ends
// TLS and routes it to the listener's Service, whose Trigger (cluster staging, staging's token) starts the
// promotion to production. Another cluster's token, another cluster's name, plain HTTP and an untrusted
// certificate start nothing; a planted Ingress or Alert fault stops the delivery and the test sees it.
func TestEventsAcrossClusters(t *testing.T) {
	ci, staging, production := loadSet(t, "clusters-ci"), loadSet(t, "clusters-staging"), loadSet(t, "clusters-production")
	checkClusterFolders(t, ci, staging, production)

	// cluster ci: the suite's control plane
	applyObjects(t, ci, env.flux, env.dynamic, "apply clusters-ci")
	defer func() {
		deleteSet(t, ci)
		_ = env.kube.CoreV1().Secrets(listenerNamespace).Delete(env.ctx, tokenSecret, metav1.DeleteOptions{})
	}()
	token := randomToken(t)
	// the README's command in cluster ci: the listener's token of staging
	ensureSecret(t, listenerNamespace, tokenSecret, map[string]string{"token": token})
	sink := sinkFor(t, ci, listenerNamespace+"/flux-events")

	// the ingress controller of cluster ci, at the external URL's host
	ingress := startIngressStandIn(t, env.kube, env.proxy.URL, externalHost)

	// cluster staging: a control plane of its own, with Flux's CRDs, its folder and its Secrets, then its notification-controller
	st := startEnvironmentCluster(t, "staging")
	applyObjects(t, staging, st.flux, st.dynamic, "apply clusters-staging")
	st.secret(t, "flux-system", providerSecret, map[string]string{"headers": "X-Flux-Token: " + token})
	st.secret(t, "flux-system", ingressCASecret, map[string]string{"ca.crt": string(env.cluster.CAPEM())})
	// staging reaches ci only at the external URL: its network knows that one address, the ingress controller's
	st.proxy.Route(externalHost+":443", ingress.addr)
	st.startNotificationController(t)
	stage("clusters", "ci: listener %s, Ingress %s → el-flux-events:8080 (stand-in on %s); staging: own control plane %s, notification-controller on %s",
		sink.URL, externalURL, ingress.addr, st.c.URL, st.events)

	event := staging.events[0].Body
	deliver := func(t *testing.T, commit string) *pipelinev1.PipelineRun {
		t.Helper()
		revision := "main@sha1:" + commit
		st.post(t, kustomizeControllerEvent(event, revision))
		return waitRun(t, st, ingress, sink, promotionRunName+commit[:12])
	}

	t.Run("staging's applied revision reaches ci's listener through the Ingress and runs the promotion to production", func(t *testing.T) {
		commit := strings.Repeat("5a", 20)
		revision := "main@sha1:" + commit
		pr := deliver(t, commit)
		if got := runParam(pr, "revision"); got != revision {
			t.Errorf("%s: revision %q, want %q", pr.Name, got, revision)
		}
		if got := runParam(pr, "commit"); got != commit {
			t.Errorf("%s: commit %q, want %q", pr.Name, got, commit)
		}
		if pr.Labels["cdk8s-tekton-flux/from"] != "staging" || pr.Labels["cdk8s-tekton-flux/to"] != "production" {
			t.Errorf("%s: labels %v, want from staging to production", pr.Name, pr.Labels)
		}
		if others := noOtherRuns(t, pr.Name, commit); len(others) > 0 {
			t.Errorf("staging's event also started %v", others)
		}
		r := ingress.waitServed(t, revision, 10*time.Second)
		if r.Cluster != "staging" || r.Token != token || r.Status != http.StatusAccepted || r.Via != "Ingress ci/flux-events → el-flux-events.ci.svc.cluster.local:8080" {
			t.Errorf("the ingress served %s; want cluster staging, staging's token, routed by Ingress ci/flux-events, 202", r)
		}
		// the fixture's own revision: the run is the one simulate predicts from every cluster's folder (simulate --cluster staging)
		var predicted []map[string]any
		for _, r := range staging.events[0].Runs {
			if r.Object["kind"] == "PipelineRun" {
				predicted = append(predicted, r.Object)
			}
		}
		fixtureRevision, _ := event["metadata"].(map[string]any)["revision"].(string)
		fixtureCommit := fixtureRevision[strings.LastIndex(fixtureRevision, ":")+1:]
		created := deliver(t, fixtureCommit)
		if d := runDifferences(predicted, []pipelinev1.PipelineRun{*created}); len(predicted) != 1 || len(d) > 0 {
			t.Errorf("the run differs from what simulate predicts (%d predicted):\n%s", len(predicted), strings.Join(d, "\n"))
		}
		stage("clusters", "staging's Kustomization flux-system/web (%s) → staging's notification-controller (eventMetadata cluster: staging, staging's token) → "+
			"HTTPS %s (CA from %s) → %s → listener ci/flux-events: %s (revision %s), no other run",
			shortRevision(revision), externalURL, ingressCASecret, r.Via, pr.Name, shortRevision(runParam(pr, "revision")))
	})

	t.Run("another cluster's token or another cluster's name starts nothing", func(t *testing.T) {
		// posted at the external URL as a notification-controller does: the metadata as forwarded (prefixes stripped,
		// the Alert's cluster added)
		client := st.client(nil)
		forwarded := func(commit, clusterName string) map[string]any {
			return forwardedEvent(event, "main@sha1:"+commit, clusterName)
		}
		for _, c := range []struct {
			what, commit, cluster, token string
		}{
			{"staging's name with another cluster's token", strings.Repeat("6b", 20), "staging", randomToken(t)},
			{"production's name with staging's token", strings.Repeat("7c", 20), "production", token},
			{"staging's name without a token", strings.Repeat("7d", 20), "staging", ""},
		} {
			eventID := postExternal(t, client, externalURL, forwarded(c.commit, c.cluster), c.token, http.StatusAccepted)
			if others := noOtherRuns(t, "", c.commit); len(others) > 0 {
				t.Errorf("%s: the listener started %v", c.what, others)
			}
			if !droppedInLog(sink, eventID) {
				t.Errorf("%s: the listener's log does not show event %s dropped by its filter; it ends:\n%s", c.what, eventID, sink.Log(3000))
			}
		}
		// the same post with staging's name and token starts the run: the three above were refused for token or name only
		commit := strings.Repeat("8d", 20)
		postExternal(t, client, externalURL, forwarded(commit, "staging"), token, http.StatusAccepted)
		waitRun(t, st, ingress, sink, promotionRunName+commit[:12])
		stage("clusters", "at the external URL: staging's name with another token, production's name with staging's token, no token: "+
			"dropped by the Trigger's filter (cluster and compareSecret), no run; staging's name and token: a run")
	})

	t.Run("the external URL is HTTPS only, with the certificate of ci-ingress-ca", func(t *testing.T) {
		commit := strings.Repeat("9e", 20)
		body, _ := json.Marshal(forwardedEvent(event, "main@sha1:"+commit, "staging"))
		// plain HTTP at the external URL: nothing serves its port 80
		plain := "http://" + externalHost + "/flux-events"
		plainAnswer := "no answer"
		if resp, err := st.client(nil).Post(plain, "application/json", bytes.NewReader(body)); err == nil {
			resp.Body.Close()
			plainAnswer = strconv.Itoa(resp.StatusCode)
			if resp.StatusCode < 300 {
				t.Errorf("plain HTTP to %s was answered %d", plain, resp.StatusCode)
			}
		}
		// plain HTTP at the ingress controller's port itself: it speaks TLS only
		if resp, err := http.Post("http://"+ingress.addr+"/flux-events", "application/json", bytes.NewReader(body)); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP at the ingress's port was answered %d, want 400", resp.StatusCode)
			}
		}
		// a client that does not trust ci-ingress-ca's CA (the system's CAs) refuses the certificate
		_, untrusted := st.client(x509.NewCertPool()).Post(externalURL, "application/json", bytes.NewReader(body))
		if untrusted == nil || !strings.Contains(untrusted.Error(), "certificate") {
			t.Errorf("a client without ci-ingress-ca's CA was not refused for the certificate: %v", untrusted)
		}
		if others := noOtherRuns(t, "", commit); len(others) > 0 {
			t.Errorf("a post that is not HTTPS with the right CA started %v", others)
		}
		if served := ingress.served(func(r ingressRequest) bool { return r.Revision == "main@sha1:"+commit }); len(served) > 0 {
			t.Errorf("the ingress routed a request that is not HTTPS to the listener: %v", served)
		}
		stage("clusters", "plain HTTP at the external URL: %s (nothing serves port 80); at the ingress's port: 400; without ci-ingress-ca's CA: %s; no run",
			plainAnswer, describeErr(untrusted))
	})

	t.Run("planted: an Ingress that routes another path stops the delivery", func(t *testing.T) {
		original := planted(ci, "Ingress", "flux-events", func(*unstructured.Unstructured) {})
		moved := planted(ci, "Ingress", "flux-events", func(o *unstructured.Unstructured) {
			rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
			path := rules[0].(map[string]any)["http"].(map[string]any)["paths"].([]any)[0].(map[string]any)
			path["path"] = "/flux-events-moved"
			_ = unstructured.SetNestedSlice(o.Object, rules, "spec", "rules")
		})
		if _, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{moved}); err != nil {
			t.Fatal(err)
		}
		restored := false
		restore := func() {
			if !restored {
				restored = true
				if _, err := env.flux.Apply(env.ctx, []*unstructured.Unstructured{original}); err != nil {
					t.Errorf("restoring the Ingress: %v", err)
				}
			}
		}
		defer restore()
		commit := strings.Repeat("a1", 20)
		revision := "main@sha1:" + commit
		st.post(t, kustomizeControllerEvent(event, revision))
		r := ingress.waitServed(t, revision, 30*time.Second)
		if r.Status != http.StatusNotFound || r.Via != "" {
			t.Errorf("with the Ingress's path moved the ingress served %s; want 404, routed by no Ingress", r)
		}
		if !waitLog(st.c, "notification-controller.log", "failed to send notification", "404", 15*time.Second) {
			t.Errorf("staging's notification-controller does not report the failed delivery; its log ends:\n%s", st.c.LogTail("notification-controller.log", 3000))
		}
		if others := noOtherRuns(t, "", commit); len(others) > 0 {
			t.Fatalf("with the Ingress's path moved a run was created: %v", others)
		}
		// the check can pass again: the Ingress restored, the next revision runs
		restore()
		pr := deliver(t, strings.Repeat("a2", 20))
		stage("planted faults", "Ingress ci/flux-events routing /flux-events-moved: staging's delivery answered 404 by the ingress, no run; restored: %s", pr.Name)
	})

	t.Run("planted: staging's Alert naming another cluster stops the run", func(t *testing.T) {
		original := planted(staging, "Alert", stagingProvider, func(*unstructured.Unstructured) {})
		wrong := planted(staging, "Alert", stagingProvider, func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedStringMap(o.Object, map[string]string{"cluster": "production"}, "spec", "eventMetadata")
		})
		if _, err := st.flux.Apply(env.ctx, []*unstructured.Unstructured{wrong}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := st.flux.Apply(env.ctx, []*unstructured.Unstructured{original}); err != nil {
				t.Errorf("restoring the Alert: %v", err)
			}
		}()
		// A required delay, not a poll: notification-controller reads Alerts through its informer cache, and
		// nothing outside the controller shows when its cache has the changed Alert.
		time.Sleep(2 * time.Second)
		commit := strings.Repeat("b2", 20)
		revision := "main@sha1:" + commit
		st.post(t, kustomizeControllerEvent(event, revision))
		r := ingress.waitServed(t, revision, 30*time.Second)
		if r.Cluster != "production" || r.Status != http.StatusAccepted || r.Token != token {
			t.Errorf("with the Alert's cluster wrong the ingress served %s; want cluster production with staging's token, delivered (202)", r)
		}
		if others := noOtherRuns(t, "", commit); len(others) > 0 {
			t.Fatalf("an event of staging tagged cluster production started %v", others)
		}
		if !droppedInLog(sink, r.EventID) {
			t.Errorf("the listener's log does not show event %s dropped by its filter; it ends:\n%s", r.EventID, sink.Log(3000))
		}
		stage("planted faults", "staging's Alert with eventMetadata cluster: production: delivered with staging's token, dropped by the Trigger's filter, no run")
	})
}

// checkClusterFolders: each cluster's folder holds its own objects: the listener, its Ingress and the Trigger that
// names staging in ci; staging's Provider and Alert (its cluster's name, its own token Secret, the CA Secret) in
// staging; production, whose Kustomization has the same name as staging's, sends nothing (no step is triggered by it).
func checkClusterFolders(t *testing.T, ci, staging, production *inputSet) {
	t.Helper()
	find := func(s *inputSet, kind, name string) *unstructured.Unstructured {
		for _, o := range s.manifests {
			if o.GetKind() == kind && o.GetName() == name {
				return o
			}
		}
		t.Fatalf("%s: no %s %s", s.name, kind, name)
		return nil
	}
	str := func(o *unstructured.Unstructured, fields ...string) string {
		v, _, _ := unstructured.NestedString(o.Object, fields...)
		return v
	}
	provider := find(staging, "Provider", stagingProvider)
	if str(provider, "spec", "address") != externalURL || str(provider, "spec", "secretRef", "name") != providerSecret ||
		str(provider, "spec", "certSecretRef", "name") != ingressCASecret || provider.GetNamespace() != "flux-system" {
		t.Fatalf("staging's Provider is not the one the README's Secrets are for: %v", provider.Object["spec"])
	}
	alert := find(staging, "Alert", stagingProvider)
	if meta, _, _ := unstructured.NestedStringMap(alert.Object, "spec", "eventMetadata"); meta["cluster"] != "staging" {
		t.Fatalf("staging's Alert tags its events with %v, want cluster: staging", meta)
	}
	raw, _ := json.Marshal(find(ci, "Trigger", "web-on-staging").Object)
	for _, want := range []string{"body.metadata.cluster == 'staging'", "compareSecret('token', '" + tokenSecret + "')"} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("ci's Trigger web-on-staging has no %s", want)
		}
	}
	find(ci, "Ingress", "flux-events")
	find(production, "Kustomization", "web")
	for _, s := range []*inputSet{ci, production} {
		for _, o := range s.manifests {
			if o.GetKind() == "Provider" || o.GetKind() == "Alert" {
				t.Errorf("%s holds %s: only staging's source sends events to the listener", s.name, flux.Key(o))
			}
		}
	}
	stage("clusters", "three folders: ci %d objects (listener, Ingress, Trigger for cluster staging), staging %d (Provider and Alert to %s), production %d (no Alert)",
		len(ci.manifests), len(staging.manifests), externalURL, len(production.manifests))
}

// environmentCluster is a second control plane (an environment's cluster) with Flux's CRDs and, once its objects
// and Secrets are in, its own notification-controller whose network (proxy) is given routes by the test.
type environmentCluster struct {
	name    string
	c       *cluster.Cluster
	flux    *flux.Manager
	kube    kubernetes.Interface
	dynamic dynamic.Interface
	proxy   *proxy.Proxy
	events  string // its notification-controller's event server
}

// startEnvironmentCluster starts etcd and kube-apiserver in a folder of their own, installs Flux's CRDs (the pinned
// ones) and the flux-system Namespace (as `flux bootstrap` does); it is stopped when the test ends.
func startEnvironmentCluster(t *testing.T, name string) *environmentCluster {
	t.Helper()
	ctx, cancel := context.WithCancel(env.ctx)
	started := time.Now()
	// always a control plane of its own (envtest's, from E2E_BIN), also when the suite's cluster ci is an existing one
	c, err := cluster.StartLocal(ctx, env.bin, filepath.Join(filepath.Dir(env.cluster.Dir), "cluster-"+name))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(); cancel() })
	p, err := proxy.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ec := &environmentCluster{name: name, c: c, kube: kubernetes.NewForConfigOrDie(c.Admin), dynamic: dynamic.NewForConfigOrDie(c.Admin), proxy: p}
	if ec.flux, err = flux.NewManager(c.Admin); err != nil {
		t.Fatal(err)
	}
	mods, err := upstream.Load(filepath.Join("..", "upstream"))
	if err != nil {
		t.Fatal(err)
	}
	crds, err := mods.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var fluxCRDs []*unstructured.Unstructured
	for _, crd := range crds {
		if group, _, _ := unstructured.NestedString(crd.Object, "spec", "group"); strings.HasSuffix(group, ".toolkit.fluxcd.io") {
			fluxCRDs = append(fluxCRDs, crd)
		}
	}
	if _, err := ec.flux.Apply(ctx, fluxCRDs); err != nil {
		t.Fatalf("cluster %s: installing Flux's CRDs: %v", name, err)
	}
	_, err = ec.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "flux-system"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	stage("cluster "+name, "etcd and kube-apiserver on %s, %d Flux CRDs installed, in %s (logs in %s)", c.URL, len(fluxCRDs), time.Since(started).Round(100*time.Millisecond), c.Dir)
	return ec
}

// startNotificationController runs Flux's notification-controller for this cluster, as the suite's own, with this
// cluster's kubeconfig and network.
func (ec *environmentCluster) startNotificationController(t *testing.T) {
	t.Helper()
	events, err := spawnNotificationController(ec.c, ec.proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	ec.events = events
}

// secret creates a Secret in this cluster, as `kubectl create secret generic` does.
func (ec *environmentCluster) secret(t *testing.T, namespace, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, StringData: data}
	if _, err := ec.kube.CoreV1().Secrets(namespace).Create(env.ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// post sends an event to this cluster's notification-controller, as a Flux controller's recorder does.
func (ec *environmentCluster) post(t *testing.T, event map[string]any) {
	t.Helper()
	postEvent(t, ec.events, event, ec.name, ec.c)
}

// client is an HTTP client inside this cluster (its network: the proxy), trusting roots (nil: ci-ingress-ca's CA).
func (ec *environmentCluster) client(roots *x509.CertPool) *http.Client {
	if roots == nil {
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM(env.cluster.CAPEM())
	}
	proxyURL, _ := url.Parse(ec.proxy.URL)
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
}

// ingressStandIn stands in for cluster ci's ingress controller: it serves HTTPS only, with a certificate for the
// hosts it was given (signed by the suite's CA, the one ci-ingress-ca holds: the controller's default certificate,
// as the Ingress names no tls secretName) and only for a host that an Ingress lists under tls; it reads the
// Ingresses from the cluster on every request and proxies a request whose host and path one routes to a Service
// to that Service, through the cluster's Service network (the suite's proxy), with a timeout.
type ingressStandIn struct {
	addr      string
	kube      kubernetes.Interface
	transport http.RoundTripper
	cert      tls.Certificate
	hosts     []string
	mu        sync.Mutex
	log       []ingressRequest
}

// ingressRequest is one request the stand-in answered.
type ingressRequest struct {
	Host, Path        string
	Via               string // "Ingress <ns>/<name> → <service>:<port>", or "" when no Ingress routes it
	Status            int
	Cluster, Revision string // of the event's metadata
	Token             string // its X-Flux-Token header
	EventID           string // from the listener's answer
}

func (r ingressRequest) String() string {
	token := "no token"
	if r.Token != "" {
		token = "a token"
	}
	via := r.Via
	if via == "" {
		via = "no Ingress"
	}
	return fmt.Sprintf("%s%s (cluster %q, %s) → %s: %d", r.Host, r.Path, r.Cluster, token, via, r.Status)
}

func startIngressStandIn(t *testing.T, kube kubernetes.Interface, services string, hosts ...string) *ingressStandIn {
	t.Helper()
	certPEM, keyPEM, err := env.cluster.ServingCertPEM("ingress-nginx", hosts...)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	proxyURL, _ := url.Parse(services)
	g := &ingressStandIn{kube: kube, cert: cert, hosts: hosts, transport: &http.Transport{
		Proxy:                 http.ProxyURL(proxyURL),
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 15 * time.Second,
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.addr = l.Addr().String()
	errLog, err := os.Create(filepath.Join(env.cluster.Dir, "ingress-stand-in.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(errLog, "", log.LstdFlags), // TLS handshakes it refused
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: g.certificate},
	}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = srv.Close(); errLog.Close() })
	return g
}

// certificate is the certificate for the TLS client's server name, if an Ingress lists that host under tls (an
// ingress controller serves its default certificate otherwise, which no client that checks the host accepts).
func (g *ingressStandIn) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := g.kube.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, ing := range list.Items {
		for _, t := range ing.Spec.TLS {
			for _, h := range t.Hosts {
				if strings.EqualFold(h, hello.ServerName) && contains(g.hosts, strings.ToLower(h)) {
					return &g.cert, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no Ingress serves %q over TLS", hello.ServerName)
}

func (g *ingressStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var event struct {
		Metadata map[string]string `json:"metadata"`
	}
	_ = json.Unmarshal(body, &event)
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	rec := ingressRequest{Host: host, Path: r.URL.Path, Cluster: event.Metadata["cluster"], Revision: event.Metadata["revision"], Token: r.Header.Get("X-Flux-Token")}
	defer func() {
		g.mu.Lock()
		g.log = append(g.log, rec)
		g.mu.Unlock()
	}()
	backend, via, err := g.route(ctx, host, r.URL.Path)
	if err != nil {
		rec.Status = http.StatusServiceUnavailable
		http.Error(w, err.Error(), rec.Status)
		return
	}
	if backend == "" {
		rec.Status = http.StatusNotFound
		http.Error(w, "default backend - 404", rec.Status)
		return
	}
	rec.Via = via
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// the Service's name as the Host (through a forward proxy it is the target); the external host in X-Forwarded-Host
			pr.SetURL(&url.URL{Scheme: "http", Host: backend})
			pr.SetXForwarded()
		},
		Transport: g.transport,
		ModifyResponse: func(resp *http.Response) error {
			b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
			var answer struct {
				EventID string `json:"eventID"`
			}
			_ = json.Unmarshal(b, &answer)
			rec.Status, rec.EventID = resp.StatusCode, answer.EventID
			return err
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			rec.Status = http.StatusBadGateway
			http.Error(w, err.Error(), rec.Status)
		},
	}
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rp.ServeHTTP(w, r)
}

// route finds the Service (in-cluster host:port) that the cluster's Ingresses route host and path to: the longest
// matching path of a rule for the host (Exact, or Prefix by path elements), as the Ingress API defines it.
func (g *ingressStandIn) route(ctx context.Context, host, path string) (backend, via string, err error) {
	list, err := g.kube.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", "", err
	}
	best := -1
	for _, ing := range list.Items {
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil || !ingressHostMatches(rule.Host, host) {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				svc := p.Backend.Service
				if svc == nil || svc.Port.Number == 0 || !ingressPathMatches(p, path) || len(p.Path) <= best {
					continue // a named port needs the Service object, which no controller makes here
				}
				best = len(p.Path)
				backend = fmt.Sprintf("%s.%s.svc.cluster.local:%d", svc.Name, ing.Namespace, svc.Port.Number)
				via = fmt.Sprintf("Ingress %s/%s → %s", ing.Namespace, ing.Name, backend)
			}
		}
	}
	return backend, via, nil
}

func ingressHostMatches(ruleHost, host string) bool {
	if ruleHost == "" {
		return true
	}
	if wildcard, ok := strings.CutPrefix(ruleHost, "*."); ok {
		first, rest, found := strings.Cut(host, ".")
		return found && first != "" && strings.EqualFold(rest, wildcard)
	}
	return strings.EqualFold(ruleHost, host)
}

func ingressPathMatches(p networkingv1.HTTPIngressPath, path string) bool {
	if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
		return path == p.Path
	}
	prefix := strings.TrimSuffix(p.Path, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

// served returns the requests the stand-in answered that match.
func (g *ingressStandIn) served(match func(ingressRequest) bool) []ingressRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []ingressRequest
	for _, r := range g.log {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitServed waits for the stand-in to have answered the request of an event of that revision.
func (g *ingressStandIn) waitServed(t *testing.T, revision string, timeout time.Duration) ingressRequest {
	t.Helper()
	var found []ingressRequest
	_ = wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		found = g.served(func(r ingressRequest) bool { return r.Revision == revision })
		return len(found) > 0, nil
	})
	if len(found) == 0 {
		t.Fatalf("no request for revision %s reached the ingress within %s; it served %v", revision, timeout, g.served(func(ingressRequest) bool { return true }))
	}
	return found[0]
}

// waitRun waits for a PipelineRun in the listener's namespace of cluster ci; failing, it shows where the event stopped.
func waitRun(t *testing.T, ec *environmentCluster, ingress *ingressStandIn, sink *listener.Sink, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var pr *pipelinev1.PipelineRun
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		pr, err = env.tekton.TektonV1().PipelineRuns(listenerNamespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("no PipelineRun %s/%s within a minute (%v)\nthe ingress served: %v\ncluster %s's notification-controller's log ends:\n%s\nthe listener's log ends:\n%s",
			listenerNamespace, name, err, ingress.served(func(ingressRequest) bool { return true }), ec.name,
			ec.c.LogTail("notification-controller.log", 3000), sink.Log(3000))
	}
	return pr
}

// noOtherRuns checks that no PipelineRun other than except appears for this commit: it polls otherRuns for 2 s
// (long enough for a second run to appear), stops at the first one and returns it; the timeout is the success
// case (nil).
func noOtherRuns(t *testing.T, except, commit string) []string {
	t.Helper()
	var others []string
	_ = wait.PollUntilContextTimeout(env.ctx, 200*time.Millisecond, 2*time.Second, true, func(context.Context) (bool, error) {
		others = otherRuns(t, except, commit)
		return len(others) > 0, nil
	})
	return others
}

// otherRuns lists the PipelineRuns of the listener's namespace for this commit but the one named except.
func otherRuns(t *testing.T, except, commit string) []string {
	t.Helper()
	list, err := env.tekton.TektonV1().PipelineRuns(listenerNamespace).List(env.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pr := range list.Items {
		if pr.Name != except && (strings.Contains(pr.Name, commit[:12]) || strings.Contains(runParam(&pr, "revision"), commit)) {
			out = append(out, pr.Name)
		}
	}
	return out
}

// kustomizeControllerEvent is the event as staging's kustomize-controller posts it: the revision under its API group.
func kustomizeControllerEvent(body map[string]any, revision string) map[string]any {
	e := copyEvent(body)
	e["metadata"] = map[string]any{"kustomize.toolkit.fluxcd.io/revision": revision}
	return e
}

// forwardedEvent is the event as a notification-controller forwards it: prefixes stripped, the Alert's cluster added.
func forwardedEvent(body map[string]any, revision, clusterName string) map[string]any {
	e := copyEvent(body)
	e["metadata"] = map[string]any{"revision": revision, "cluster": clusterName}
	return e
}

func copyEvent(body map[string]any) map[string]any {
	e := map[string]any{}
	for k, v := range body {
		e[k] = v
	}
	e["timestamp"] = time.Now().UTC().Format(time.RFC3339)
	return e
}

// postExternal posts a forwarded event with a token (none if "") and returns the listener's event ID.
func postExternal(t *testing.T, client *http.Client, address string, event map[string]any, token string, want int) string {
	t.Helper()
	body, _ := json.Marshal(event)
	var resp *http.Response
	var err error
	// a connection the tunnel dropped before any answer (EOF) is retried, as notification-controller's client retries
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, address, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("gotk-component", "kustomize-controller")
		if token != "" {
			req.Header.Set("X-Flux-Token", token)
		}
		if resp, err = client.Do(req); err == nil || attempt == 3 || !errors.Is(err, io.EOF) {
			break
		}
		t.Logf("posting to %s: %v; again", address, err)
		time.Sleep(200 * time.Millisecond) // a retry of a dropped connection (at most 3 posts), not a poll for a state
	}
	if err != nil {
		t.Fatalf("posting to %s: %v", address, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var answer struct {
		EventID string `json:"eventID"`
	}
	_ = json.Unmarshal(b, &answer)
	if resp.StatusCode != want || answer.EventID == "" {
		t.Fatalf("%s answered %d %s, want %d from the listener", address, resp.StatusCode, b, want)
	}
	return answer.EventID
}

// droppedInLog: the listener's log says that an interceptor's filter stopped the event with this ID.
func droppedInLog(sink *listener.Sink, eventID string) bool {
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		for _, line := range strings.Split(sink.Log(1<<22), "\n") {
			if eventID != "" && strings.Contains(line, eventID) && strings.Contains(line, "did not return true") {
				return true, nil
			}
		}
		return false, nil
	})
	return err == nil
}

// waitLog waits for a line with both texts to appear in one of a cluster's logs.
func waitLog(c *cluster.Cluster, file, text, also string, timeout time.Duration) bool {
	err := wait.PollUntilContextTimeout(env.ctx, 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		b, _ := os.ReadFile(filepath.Join(c.Dir, file))
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, text) && strings.Contains(line, also) {
				return true, nil
			}
		}
		return false, nil
	})
	return err == nil
}

func shortRevision(revision string) string {
	if len(revision) > 22 {
		return revision[:22] + "…"
	}
	return revision
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func describeErr(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}
