// Package cluster runs the suite's Kubernetes control plane with controller-runtime's envtest
// (sigs.k8s.io/controller-runtime/pkg/envtest): etcd and kube-apiserver from the binaries e2e/run.sh
// builds (envtest's BinaryAssetsDirectory is E2E_BIN), on loopback, or, with E2E_USE_EXISTING_CLUSTER=true,
// the cluster of the current kubeconfig (envtest's UseExistingCluster). There is no kubelet, scheduler or
// controller-manager: the suite runs the controllers it needs itself.
package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// UseExistingClusterEnv names the environment variable that, set to "true", makes Start use the cluster of
// the current kubeconfig (--kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config: controller-runtime's
// config.GetConfig) instead of starting one. envtest's own USE_EXISTING_CLUSTER is not read: the suite
// starts a second, local control plane (StartLocal) whatever it says.
const UseExistingClusterEnv = "E2E_USE_EXISTING_CLUSTER"

// Cluster is a running control plane: envtest's etcd + kube-apiserver, or an existing cluster.
type Cluster struct {
	Dir   string       // working folder: certificates, kubeconfigs, logs, etcd data
	URL   string       // https://127.0.0.1:<port> (an existing cluster: its server)
	Admin *rest.Config // a member of system:masters (an existing cluster: the kubeconfig's user)

	env      *envtest.Environment
	existing bool
	logs     []*os.File

	// The cluster CA: it signs the local API server's certificate and ServingCert's.
	caPEM  []byte
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	// How clients reach the API server: its CA (a file in Dir, "" for the system's roots), TLS options.
	apiCAPEM  []byte
	apiCAFile string
	apiTLS    rest.TLSClientConfig
	processes []*exec.Cmd
	stopOnce  sync.Once
}

// FreePort returns a loopback TCP port nothing listens on now.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs the suite's control plane from binDir under dir (StartLocal) and waits until the API server is
// ready; with E2E_USE_EXISTING_CLUSTER=true it uses the current kubeconfig's cluster instead.
func Start(ctx context.Context, binDir, dir string) (*Cluster, error) {
	if strings.EqualFold(os.Getenv(UseExistingClusterEnv), "true") {
		return StartExisting(ctx, dir)
	}
	return StartLocal(ctx, binDir, dir)
}

// quietEnvtest sends controller-runtime's log (envtest logs through it) nowhere: the suite has no logger
// for it, and without one controller-runtime complains on stderr. The control plane's own output goes to
// etcd.log and kube-apiserver.log.
var quietEnvtest sync.Once

// StartLocal starts etcd and kube-apiserver with envtest, from binDir (BinaryAssetsDirectory: etcd,
// kube-apiserver, kubectl; as in any envtest suite KUBEBUILDER_ASSETS or TEST_ASSET_ETCD /
// TEST_ASSET_KUBE_APISERVER override it), under dir, and waits until the API server is ready.
func StartLocal(ctx context.Context, binDir, dir string) (*Cluster, error) {
	quietEnvtest.Do(func() { logf.SetLogger(ctrlzap.New(ctrlzap.WriteTo(io.Discard))) })
	c := &Cluster{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := c.writeCredentials(true); err != nil {
		return nil, err
	}
	etcdLog, err := c.createLog("etcd.log")
	if err != nil {
		return nil, err
	}
	apiLog, err := c.createLog("kube-apiserver.log")
	if err != nil {
		c.closeLogs()
		return nil, err
	}

	// etcd: envtest passes --data-dir, --listen-client-urls, --advertise-client-urls, --listen-peer-urls
	// and (when `etcd --help` lists it) --unsafe-no-fsync. Our etcd is e2e/controlplane/etcd, a wrapper
	// that runs etcd's own etcdmain.Main (the etcd that k8s.io/kubernetes pins), so it takes etcd's flags
	// and --help, as the release binary envtest usually runs does. Without --initial-cluster and
	// --initial-advertise-peer-urls etcd uses their matching defaults (default=http://localhost:2380):
	// one member, which never dials its peer URL.
	etcd := &envtest.Etcd{DataDir: c.path("etcd"), Out: etcdLog, Err: etcdLog}
	etcd.Configure().Set("log-level", "warn")

	// kube-apiserver: envtest adds --etcd-servers, --cert-dir, --secure-port, --bind-address and
	// --client-ca-file (its client-certificate authenticator, for envtest's own admin user); the rest is
	// what the suite needs.
	port := FreePort()
	api := &envtest.APIServer{
		// The cluster CA's serving certificate is in CertDir as apiserver.crt and apiserver.key, so envtest
		// makes no CA of its own (the suite needs the CA's key: ServingCert). For the same reason it writes no
		// service-account keys and does not fill in SecureServing.CA, which its clients trust: both are set here.
		CertDir: dir,
		SecureServing: envtest.SecureServing{
			ListenAddr: envtest.ListenAddr{Address: "127.0.0.1", Port: strconv.Itoa(port)},
			CA:         c.caPEM,
		},
		Out: apiLog, Err: apiLog,
	}
	api.Configure().
		Set("advertise-address", "127.0.0.1").
		Set("tls-cert-file", c.path("apiserver.crt")).
		Set("tls-private-key-file", c.path("apiserver.key")).
		// the static admin token (TokenConfig("admin-token")): what the suite and its controllers act as
		Set("token-auth-file", c.path("tokens.csv")).
		// ServiceAccount tokens from the TokenRequest API, signed with our key, for the in-cluster issuer
		Set("service-account-issuer", "https://kubernetes.default.svc.cluster.local").
		Set("service-account-key-file", c.path("sa.pub")).
		Set("service-account-signing-key-file", c.path("sa.key")).
		Set("api-audiences", "https://kubernetes.default.svc.cluster.local").
		Set("authorization-mode", "RBAC").
		Set("service-cluster-ip-range", "10.96.0.0/16").
		// envtest disables the ServiceAccount admission plugin; the suite keeps kube-apiserver's default
		// plugins, ServiceAccount included (Pods get their account's token; the suite makes each namespace's
		// default ServiceAccount, as no controller-manager runs). Nor does it allow privileged containers.
		Disable("disable-admission-plugins").
		Disable("allow-privileged").
		// On a loopback address the endpoint reconciler refuses to start; nothing here needs it.
		Set("endpoint-reconciler-type", "none").
		// Tekton's CRDs declare a conversion webhook that is not running here: v1 needs no conversion,
		// and without the watch cache the API server does not try to convert for it.
		Set("watch-cache", "false").
		Set("enable-priority-and-fairness", "false").
		Set("v", "1")

	no := false
	c.env = &envtest.Environment{
		BinaryAssetsDirectory: binDir,
		ControlPlane:          envtest.ControlPlane{APIServer: api, Etcd: etcd},
		UseExistingCluster:    &no,
		// two control planes start on 2 cores (clusters_test.go): envtest's 20 s is short
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  20 * time.Second,
	}
	if _, err := c.env.Start(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("envtest: %w; kube-apiserver's log ends:\n%s\netcd's log ends:\n%s", err,
			c.LogTail("kube-apiserver.log", 3000), c.LogTail("etcd.log", 2000))
	}
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.apiCAPEM, c.apiCAFile = c.caPEM, c.path("ca.crt")
	c.apiTLS = rest.TLSClientConfig{CAData: c.caPEM}
	c.Admin = c.TokenConfig("admin-token")
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// StartExisting uses the cluster of the current kubeconfig (envtest's UseExistingCluster), keeping dir for
// kubeconfigs and the logs of the processes the suite spawns. The kubeconfig's user is the admin; the
// cluster CA (ServingCert) is then the suite's own, which the API server does not use.
func StartExisting(ctx context.Context, dir string) (*Cluster, error) {
	quietEnvtest.Do(func() { logf.SetLogger(ctrlzap.New(ctrlzap.WriteTo(io.Discard))) })
	c := &Cluster{Dir: dir, existing: true}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := c.writeCredentials(false); err != nil {
		return nil, err
	}
	yes := true
	c.env = &envtest.Environment{UseExistingCluster: &yes}
	cfg, err := c.env.Start()
	if err != nil {
		return nil, fmt.Errorf("envtest, existing cluster (%s=true): %w", UseExistingClusterEnv, err)
	}
	c.Admin = rest.CopyConfig(cfg)
	c.Admin.QPS, c.Admin.Burst = 200, 400
	c.URL = cfg.Host
	c.apiTLS = rest.TLSClientConfig{Insecure: cfg.Insecure, ServerName: cfg.ServerName, CAData: cfg.CAData, CAFile: cfg.CAFile}
	c.apiCAPEM = cfg.CAData
	if len(c.apiCAPEM) == 0 && cfg.CAFile != "" {
		if c.apiCAPEM, err = os.ReadFile(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	if len(c.apiCAPEM) > 0 {
		c.apiCAFile = c.path("apiserver-ca.crt")
		if err := os.WriteFile(c.apiCAFile, c.apiCAPEM, 0o600); err != nil {
			return nil, err
		}
		c.apiTLS.CAData, c.apiTLS.CAFile = c.apiCAPEM, ""
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Kind says what the cluster is, for the suite's output.
func (c *Cluster) Kind() string {
	if c.existing {
		return "the existing cluster of the current kubeconfig (" + UseExistingClusterEnv + "=true)"
	}
	return "etcd and kube-apiserver (envtest)"
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

func (c *Cluster) createLog(name string) (*os.File, error) {
	f, err := os.Create(c.path(name))
	if err == nil {
		c.logs = append(c.logs, f)
	}
	return f, err
}

func (c *Cluster) closeLogs() {
	for _, f := range c.logs {
		_ = f.Close()
	}
	c.logs = nil
}

// Spawn starts a process that lives as long as the cluster, logging to <dir>/<log>.
func (c *Cluster) Spawn(env []string, log, bin string, args ...string) (*exec.Cmd, error) {
	out, err := os.Create(c.path(log))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c.processes = append(c.processes, cmd)
	return cmd, nil
}

// Stop ends every process the cluster spawned, newest first, then the control plane (envtest stops
// kube-apiserver, then etcd; an existing cluster is left running).
func (c *Cluster) Stop() {
	for i := len(c.processes) - 1; i >= 0; i-- {
		p := c.processes[i]
		if p.Process != nil {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}
	c.processes = nil
	c.stopOnce.Do(func() {
		if c.env != nil {
			if err := c.env.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "cluster %s: stopping the control plane: %v\n", c.Dir, err)
			}
		}
		c.closeLogs()
	})
}

// LogTail returns the last bytes of one of the cluster's logs, for failure messages.
func (c *Cluster) LogTail(log string, n int) string {
	b, _ := os.ReadFile(c.path(log))
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// waitReady waits for the API server's /readyz as the admin (envtest waited for /healthz and the default
// Namespace; ready also means the RBAC bootstrap roles and the other post-start hooks are done).
func (c *Cluster) waitReady(ctx context.Context) error {
	kube, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		_, last = kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver at %s not ready after 90s (%v, last: %v); its log ends:\n%s", c.URL, err, last, c.LogTail("kube-apiserver.log", 3000))
	}
	return nil
}

// TokenConfig is a client config that authenticates with a bearer token.
func (c *Cluster) TokenConfig(token string) *rest.Config {
	return &rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: c.apiTLS, QPS: 200, Burst: 400}
}

// ServiceAccountConfig returns a client config that acts as the ServiceAccount namespace/name, with a
// token from the TokenRequest API: what a Pod running as that ServiceAccount would hold.
func (c *Cluster) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	kube := kubernetes.NewForConfigOrDie(c.Admin)
	expiry := int64(3600)
	tr, err := kube.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return c.TokenConfig(tr.Status.Token), nil
}

// WriteKubeconfig writes a kubeconfig for cfg (a client config of this cluster: a bearer token, or an
// existing cluster's user) and returns its path.
func (c *Cluster) WriteKubeconfig(name string, cfg *rest.Config) (string, error) {
	return c.writeKubeconfig(name, cfg, "")
}

// PodKubeconfig writes the kubeconfig that kubectl in a Pod of `namespace` running as `serviceAccount`
// effectively has (in-cluster: that account's token, the Pod's namespace as the default) and returns its path.
func (c *Cluster) PodKubeconfig(ctx context.Context, namespace, serviceAccount string) (string, error) {
	cfg, err := c.ServiceAccountConfig(ctx, namespace, serviceAccount)
	if err != nil {
		return "", err
	}
	return c.writeKubeconfig("pod-"+namespace+"-"+serviceAccount, cfg, namespace)
}

func (c *Cluster) writeKubeconfig(name string, cfg *rest.Config, namespace string) (string, error) {
	p := c.path(name + ".kubeconfig")
	cluster := &clientcmdapi.Cluster{Server: c.URL, InsecureSkipTLSVerify: c.apiTLS.Insecure, TLSServerName: c.apiTLS.ServerName}
	if !c.apiTLS.Insecure {
		cluster.CertificateAuthority = c.apiCAFile
	}
	user := &clientcmdapi.AuthInfo{
		Token: cfg.BearerToken, TokenFile: cfg.BearerTokenFile,
		ClientCertificate: cfg.CertFile, ClientKey: cfg.KeyFile, ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		Username: cfg.Username, Password: cfg.Password,
		Exec: cfg.ExecProvider, AuthProvider: cfg.AuthProvider,
		Impersonate: cfg.Impersonate.UserName, ImpersonateUID: cfg.Impersonate.UID,
		ImpersonateGroups: cfg.Impersonate.Groups, ImpersonateUserExtra: cfg.Impersonate.Extra,
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = cluster
	kc.AuthInfos["u"] = user
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "u", Namespace: namespace}
	kc.CurrentContext = "e2e"
	return p, clientcmd.WriteToFile(*kc, p)
}

// writeCredentials makes the cluster CA, and for a local control plane the API server's serving certificate
// for 127.0.0.1, the ServiceAccount signing key and the static admin token.
func (c *Cluster) writeCredentials(local bool) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	c.caCert, _ = x509.ParseCertificate(caDER)
	c.caKey = caKey
	c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := map[string][]byte{"ca.crt": c.caPEM}
	if local {
		servingDER, servingKey, err := c.issue("kube-apiserver")
		if err != nil {
			return err
		}
		saKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		servingKeyDER, _ := x509.MarshalECPrivateKey(servingKey)
		saPub, _ := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
		// apiserver.crt and apiserver.key: the names kube-apiserver (and envtest) look for in --cert-dir
		files["apiserver.crt"] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER})
		files["apiserver.key"] = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: servingKeyDER})
		files["sa.key"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)})
		files["sa.pub"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub})
		files["tokens.csv"] = []byte(`admin-token,admin,admin,"system:masters"` + "\n")
	}
	for name, body := range files {
		if err := os.WriteFile(c.path(name), body, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// CAPEM is the cluster CA's certificate: it signs ServingCert's certificates and, for a local control plane,
// the API server's.
func (c *Cluster) CAPEM() []byte { return c.caPEM }

// ServingCertPEM issues a serving certificate for 127.0.0.1 (and dnsNames) signed by the cluster CA, as PEM.
func (c *Cluster) ServingCertPEM(name string, dnsNames ...string) (certPEM, keyPEM []byte, err error) {
	der, key, err := c.issue(name, dnsNames...)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// ServingCert issues a TLS serving certificate for 127.0.0.1, signed by the cluster CA.
func (c *Cluster) ServingCert(name string) (tls.Certificate, error) {
	der, key, err := c.issue(name)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func (c *Cluster) issue(name string, dnsNames ...string) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: append([]string{"localhost"}, dnsNames...),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, c.caCert, &key.PublicKey, c.caKey)
	return der, key, err
}
