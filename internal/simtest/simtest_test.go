package simtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/contract"
)

func TestStart(t *testing.T) {
	sim, base := Start(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || !strings.HasSuffix(u.Path, "/v2") {
		t.Errorf("base URL %q, want 127.0.0.1 and /v2", base)
	}
	resp, err := http.Post(base+"/auth/challenge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ch struct {
		Challenge string `json:"challenge"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &ch) != nil || ch.Challenge == "" {
		t.Fatalf("POST /auth/challenge: %d %s", resp.StatusCode, body)
	}
	if !slices.Contains(contract.Exercised(), "POST /auth/challenge") {
		t.Errorf("challenge not recorded as exercised: %v", contract.Exercised())
	}
	if !slices.Contains(sim.Handled(), "POST /auth/challenge") {
		t.Errorf("simulator does not list POST /auth/challenge: %v", sim.Handled())
	}
}

func TestHandledAreSpecOperations(t *testing.T) {
	sim, _ := Start(t)
	spec := contract.Default(t)
	for _, op := range sim.Handled() {
		if _, ok := spec.Operation(op); !ok {
			t.Errorf("simulator handles %q, which is not an operation of the spec", op)
		}
	}
}

func TestSkipHeaderReachesMiddleware(t *testing.T) {
	_, base := Start(t)
	// A request that is malformed on purpose (no Bearer on a secured
	// operation) is not reported when the test opts out.
	client := &http.Client{Transport: contract.SkipTransport(nil, contract.SkipRequest)}
	resp, err := client.Get(base + "/auth/sessions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /auth/sessions without token: %d, want 401", resp.StatusCode)
	}
}
