package ksefsimtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

func TestNewServer(t *testing.T) {
	var srv *ksefsimtest.Server
	t.Run("serve", func(t *testing.T) {
		srv = ksefsimtest.NewServer(t, ksefsim.WithoutRateLimits())
		if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.HasSuffix(srv.URL, ksefsim.BasePath) {
			t.Fatalf("URL %q", srv.URL)
		}
		c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL), ksef.WithHTTPClient(srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		ch, err := c.Auth.Challenge(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ch.Challenge == "" {
			t.Fatal("empty challenge")
		}
	})
	// The server is closed when the test that started it ends.
	resp, err := http.Post(srv.URL+"/auth/challenge", "", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers after its test ended: %d", resp.StatusCode)
	}
}
