package ksefsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

func TestAdminAPI(t *testing.T) {
	srv := newServer(t, WithAdminAPI(), WithoutRateLimits())
	root := strings.TrimSuffix(srv.URL, BasePath) + AdminPath
	call := func(method, path, body string, want int, out any) {
		t.Helper()
		r, _ := http.NewRequestWithContext(t.Context(), method, root+path, strings.NewReader(body))
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var info struct {
		Now        time.Time `json:"now"`
		Operations []string  `json:"operations"`
	}
	call("GET", "", "", 200, &info)
	if len(info.Operations) != len(srv.Handled()) {
		t.Errorf("operations %v", info.Operations)
	}
	// Faults.
	call("POST", "/faults", `{"operation":"POST /auth/challenge","count":1,"status":503,"retryAfterSeconds":4}`, 204, nil)
	call("POST", "/faults", `{"operation":"POST /nope","count":1,"status":503}`, 400, nil)
	call("POST", "/faults", `{"operation":"POST /auth/challenge"}`, 400, nil)
	// The pre-signed part uploads of batch sessions take faults too.
	call("POST", "/faults", `{"operation":"`+PartUploadOperation+`","count":1,"drop":true}`, 204, nil)
	if srv.Faults().Pending(PartUploadOperation) != 1 {
		t.Error("part upload fault not queued")
	}
	call("POST", "/faults", `{`, 400, nil)
	resp, err := srv.Client().Post(srv.URL+"/auth/challenge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "4" {
		t.Errorf("injected: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	call("POST", "/faults", `{"operation":"*","count":3,"status":500}`, 204, nil)
	call("DELETE", "/faults", "", 204, nil)
	if n := srv.Faults().Pending(AnyOperation); n != 0 {
		t.Errorf("pending %d", n)
	}
	// Maintenance (its effect on sessions: TestE2EOnlineSessionStateErrors
	// in package ksef).
	call("POST", "/maintenance", `{"on":true}`, 204, nil)
	call("POST", "/maintenance", `{"on":false}`, 204, nil)
	call("POST", "/maintenance", `{`, 400, nil)
	// Clock.
	before := srv.Now()
	var now struct {
		Now time.Time `json:"now"`
	}
	call("POST", "/clock", `{"advanceSeconds":3600}`, 200, &now)
	if d := now.Now.Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("advanced by %v", d)
	}
	// Keys, rate limits, calls.
	_, oldID := srv.MFPrivateKey(ksef.KsefTokenEncryption)
	call("POST", "/keys/rotate", "", 204, nil)
	if _, id := srv.MFPrivateKey(ksef.KsefTokenEncryption); id == oldID {
		t.Error("keys not rotated")
	}
	call("POST", "/rate-limits/reset", "", 204, nil)
	var calls map[string]int
	call("GET", "/calls", "", 200, &calls)
	if calls["POST /auth/challenge"] != 1 {
		t.Errorf("calls %v", calls)
	}
	// Identities.
	var id map[string]string
	call("POST", "/identities", `{"kind":"person"}`, 201, &id)
	if ident.NIP(id["nip"]).Validate() != nil || ident.PESEL(id["pesel"]).Validate() != nil || !strings.Contains(id["certificatePem"], "CERTIFICATE") || !strings.Contains(id["keyPem"], "PRIVATE KEY") {
		t.Errorf("identity %v", id)
	}
	call("POST", "/identities", "", 201, &id)
	call("POST", "/identities", `{"kind":"robot"}`, 400, nil)

	// Without the option there is no control API.
	plain := newServer(t)
	r2, err := plain.Client().Get(strings.TrimSuffix(plain.URL, BasePath) + AdminPath)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 404 {
		t.Errorf("admin API without the option: %d", r2.StatusCode)
	}
}
