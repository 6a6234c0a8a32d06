// Package cluster starts a real Kubernetes control plane on loopback: etcd and kube-apiserver, built
// from their Go modules by e2e/run.sh. There is no kubelet, scheduler or controller-manager: the
// suite runs the controllers it needs itself.
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
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Cluster is a running etcd + kube-apiserver pair.
type Cluster struct {
	Dir       string       // working folder: certificates, kubeconfigs, logs, etcd data
	URL       string       // https://127.0.0.1:<port>
	Admin     *rest.Config // a member of system:masters
	caPEM     []byte
	caCert    *x509.Certificate
	caKey     *ecdsa.PrivateKey
	processes []*exec.Cmd
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

// Start runs etcd and kube-apiserver from binDir under dir and waits until the API server is ready.
func Start(ctx context.Context, binDir, dir string) (*Cluster, error) {
	c := &Cluster{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := c.writeCredentials(); err != nil {
		return nil, err
	}
	etcdClient, etcdPeer := FreePort(), FreePort()
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	if err := c.spawn(filepath.Join(binDir, "etcd"), "etcd.log",
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", etcdPeer),
		"--unsafe-no-fsync", "--log-level", "warn",
	); err != nil {
		return nil, err
	}
	port := FreePort()
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	if err := c.spawn(filepath.Join(binDir, "kube-apiserver"), "kube-apiserver.log",
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(port),
		"--tls-cert-file", c.path("serving.crt"), "--tls-private-key-file", c.path("serving.key"),
		"--client-ca-file", c.path("ca.crt"),
		"--token-auth-file", c.path("tokens.csv"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", c.path("sa.pub"), "--service-account-signing-key-file", c.path("sa.key"),
		"--api-audiences", "https://kubernetes.default.svc.cluster.local",
		"--authorization-mode", "RBAC",
		"--service-cluster-ip-range", "10.96.0.0/16",
		// On a loopback address the endpoint reconciler refuses to start; nothing here needs it.
		"--endpoint-reconciler-type", "none",
		// Tekton's CRDs declare a conversion webhook that is not running here: v1 needs no conversion,
		// and without the watch cache the API server does not try to convert for it.
		"--watch-cache=false",
		"--enable-priority-and-fairness=false",
		"--v", "1",
	); err != nil {
		c.Stop()
		return nil, err
	}
	c.Admin = c.TokenConfig("admin-token")
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

func (c *Cluster) spawn(bin, log string, args ...string) error {
	out, err := os.Create(c.path(log))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	c.processes = append(c.processes, cmd)
	return nil
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

// Stop ends every process the cluster started, newest first.
func (c *Cluster) Stop() {
	for i := len(c.processes) - 1; i >= 0; i-- {
		p := c.processes[i]
		if p.Process != nil {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}
	c.processes = nil
}

// LogTail returns the last bytes of one of the cluster's logs, for failure messages.
func (c *Cluster) LogTail(log string, n int) string {
	b, _ := os.ReadFile(c.path(log))
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (c *Cluster) waitReady(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.caPool()}}, Timeout: 2 * time.Second}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := client.Do(req)
		if err != nil {
			return false, nil // not listening yet
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver not ready after 90s (%v); its log ends:\n%s", err, c.LogTail("kube-apiserver.log", 3000))
	}
	return nil
}

func (c *Cluster) caPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(c.caPEM)
	return p
}

// TokenConfig is a client config that authenticates with a bearer token.
func (c *Cluster) TokenConfig(token string) *rest.Config {
	return &rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: c.caPEM}, QPS: 200, Burst: 400}
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

// WriteKubeconfig writes a kubeconfig for cfg (a bearer-token config of this cluster) and returns its path.
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
	body := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: %q, certificate-authority: %q}
users:
- name: u
  user: {token: %q}
contexts:
- name: e2e
  context: {cluster: e2e, user: u, namespace: %q}
current-context: e2e
`, c.URL, c.path("ca.crt"), cfg.BearerToken, namespace)
	return p, os.WriteFile(p, []byte(body), 0o600)
}

// writeCredentials makes the CA, the serving certificate for 127.0.0.1, the ServiceAccount signing
// key and the static admin token.
func (c *Cluster) writeCredentials() error {
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
	files := map[string][]byte{
		"ca.crt":      c.caPEM,
		"serving.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER}),
		"serving.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: servingKeyDER}),
		"sa.key":      pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		"sa.pub":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		"tokens.csv":  []byte(`admin-token,admin,admin,"system:masters"` + "\n"),
	}
	for name, body := range files {
		if err := os.WriteFile(c.path(name), body, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// CAPEM is the cluster CA's certificate: it signs the API server's and ServingCert's certificates.
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
