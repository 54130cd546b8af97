// Package faultproxy is a TCP proxy for tests that can take a dependency
// away the ways production does: cut every connection and refuse new ones
// (a crash, a restart, a network failure), or freeze, holding connections
// open while nothing passes (a hung server).
package faultproxy

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	down   bool
	frozen bool
	thaw   chan struct{} // closed when a freeze ends
	conns  map[net.Conn]bool
}

// New listens on a loopback port and forwards to target until the test ends.
func New(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}, thaw: make(chan struct{})}
	close(p.thaw)
	tb.Cleanup(func() {
		ln.Close()
		p.SetFrozen(false)
		p.SetDown(true)
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { p.pipe(up, c); up.Close() }()
	p.pipe(c, up)
	c.Close()
}

// pipe copies src to dst, holding each chunk while the proxy is frozen.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			thaw := p.thaw
			p.mu.Unlock()
			<-thaw
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// SetDown cuts every connection and refuses new ones (true), or lets them
// through again (false).
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// SetFrozen holds every byte in flight while true: connections stay open
// and nothing is answered, like a hung server. false lets them flow again.
func (p *Proxy) SetFrozen(frozen bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if frozen == p.frozen {
		return
	}
	p.frozen = frozen
	if frozen {
		p.thaw = make(chan struct{})
	} else {
		close(p.thaw)
	}
}
