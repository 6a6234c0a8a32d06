// Package proxy stands in for the cluster's Service network: an HTTP proxy that Flux's
// notification-controller is given (HTTP_PROXY, HTTPS_PROXY, which its HTTP client honours), routing a
// Service's in-cluster address (el-on-push.ci.svc.cluster.local:8080) to the local address of the process
// that serves it. Plain HTTP is forwarded; HTTPS is tunnelled (CONNECT), so TLS is end to end between
// the controller and the listener, certificate checks included.
package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Proxy routes in-cluster host:port addresses to local ones.
type Proxy struct {
	URL    string // http://127.0.0.1:<port>
	mu     sync.Mutex
	routes map[string]string // host:port → 127.0.0.1:<port>
}

// Start serves the proxy on a free loopback port until ctx ends.
func Start(ctx context.Context) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), routes: map[string]string{}}
	srv := &http.Server{Handler: p}
	go func() { _ = srv.Serve(l) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return p, nil
}

// Route sends what is addressed to hostPort (a Service's DNS name and port) to local (127.0.0.1:<port>).
func (p *Proxy) Route(hostPort, local string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routes[hostPort] = local
}

func (p *Proxy) target(hostPort string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.routes[hostPort]
	return t, ok
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	hostPort := r.URL.Host
	if !strings.Contains(hostPort, ":") {
		hostPort += ":80"
	}
	local, ok := p.target(hostPort)
	if !ok {
		http.Error(w, fmt.Sprintf("no Service at %s in this test cluster", hostPort), http.StatusBadGateway)
		return
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: local})
	rp.ServeHTTP(w, r)
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	local, ok := p.target(r.Host)
	if !ok {
		http.Error(w, fmt.Sprintf("no Service at %s in this test cluster", r.Host), http.StatusBadGateway)
		return
	}
	upstream, err := net.Dial("tcp", local)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	client, _, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	go func() { _, _ = io.Copy(upstream, client); upstream.Close() }()
	go func() { _, _ = io.Copy(client, upstream); client.Close() }()
}
