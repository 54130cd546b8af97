package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

// TestCHLocalRefusesOpenBeyondLoopback: `rebate chlocal --listen
// 0.0.0.0:...` without users once served an open engine to the network
// without a word; it must refuse to start, naming the settings.
func TestCHLocalRefusesOpenBeyondLoopback(t *testing.T) {
	lib := chlocaltest.LibPath(t)
	for _, listen := range []string{"0.0.0.0:" + port(t), ":" + port(t)} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, binary(t), "chlocal", "--path", t.TempDir(), "--listen", listen)
		cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+lib)
		out, err := cmd.CombinedOutput()
		started := ctx.Err() != nil
		cancel()
		if started || err == nil {
			t.Errorf("--listen %s without users: started", listen)
			continue
		}
		for _, want := range []string{"REBATE_CHLOCAL_USERS", "--listen", "not loopback"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("--listen %s: the error does not say %q:\n%s", listen, want, out)
			}
		}
	}
}

// TestUpEngineBeyondLoopback: `rebate up` with the engine beyond loopback
// makes an admin user, prints its password, and uses it for its own
// migrations, ingester and API; the engine refuses everyone else.
func TestUpEngineBeyondLoopback(t *testing.T) {
	lib := chlocaltest.LibPath(t)
	chPort, apiAddr := port(t), freeAddr(t)
	p := startUp(t, lib, apiAddr, "up", "--data", t.TempDir(), "--kafka-listen", freeAddr(t), "--api-listen", apiAddr,
		"--listen", "0.0.0.0:"+chPort, "--simulate-rate", "0")
	// The summary is printed once everything is up, which may be just after
	// /readyz first answers.
	re := regexp.MustCompile(`user \(admin\): (\S+), password: ([0-9a-f]{32})`)
	var m []string
	poll(t, p, "the summary names the engine's credentials", func() bool {
		m = re.FindStringSubmatch(p.out.String())
		return m != nil
	})
	engine := "http://127.0.0.1:" + chPort + "/?database=rebate"
	query := func(user, password string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, engine, strings.NewReader("SELECT count() FROM events"))
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := query("", ""); code != http.StatusUnauthorized {
		t.Errorf("without credentials: %d %s", code, body)
	}
	if code, body := query(m[1], "not-"+m[2]); code != http.StatusUnauthorized {
		t.Errorf("with a wrong password: %d %s", code, body)
	}
	if code, body := query(m[1], m[2]); code != http.StatusOK || body != "0\n" {
		t.Errorf("with the printed credentials: %d %s", code, body)
	}
	if !strings.Contains(p.out.String(), "curl -u "+m[1]+":"+m[2]+" ") {
		t.Errorf("the summary's curl line lacks the credentials:\n%s", p.out)
	}
	p.stop(t, syscall.SIGTERM)
}

// port is a free TCP port number.
func port(t *testing.T) string {
	t.Helper()
	_, p, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
