package ksef_test

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

const legacyBody = `{"exception":{"exceptionDetailList":[{"exceptionCode":21470,"exceptionDescription":"Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.","details":["Klucz o identyfikatorze abc nie jest wspierany."]},{"exceptionCode":21405,"exceptionDescription":"Błąd walidacji danych wejściowych."}],"referenceNumber":"20250625-EE-319D7EE000-B67F415CDC-2C","serviceCode":"00-c02cc3747020c605be02159bf3324f0e-eee7647dc67aa74a-00","serviceCtx":"srvABCDA","serviceName":"Undefined","timestamp":"2025-10-11T12:23:56.0154302"}}`

const problemBody = `{"title":"Bad Request","status":400,"instance":"/v2/auth/ksef-token","detail":"Błąd walidacji.","errors":[{"code":21111,"description":"Nieprawidłowe wyzwanie autoryzacyjne.","details":["wyzwanie wygasło"]}],"timestamp":"2025-10-11T12:23:56.0154302+00:00","traceId":"trace-123"}`

const forbiddenBody = `{"title":"Forbidden","status":403,"detail":"Brak uprawnień.","reasonCode":"missing-permissions","security":{"requiredAnyOfPermissions":["InvoiceWrite"],"presentPermissions":[]},"traceId":"t-403"}`

func TestDecodeErrorLegacy(t *testing.T) {
	e := ksef.DecodeError(400, http.Header{"Content-Type": {"application/json"}}, []byte(legacyBody))
	if e.Code != ksef.CodeUnknownPublicKey || len(e.Codes) != 2 || !e.HasCode(ksef.CodeValidation) {
		t.Errorf("codes %v %v", e.Code, e.Codes)
	}
	if e.ReferenceNumber != "20250625-EE-319D7EE000-B67F415CDC-2C" || !strings.HasPrefix(e.TraceID, "00-c02") {
		t.Errorf("ids %q %q", e.ReferenceNumber, e.TraceID)
	}
	if !strings.Contains(e.Message, "identyfikator klucza") || len(e.Details) < 1 {
		t.Errorf("message %q details %v", e.Message, e.Details)
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, "ksef: 400 Bad Request [21470] [21405]") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestDecodeErrorProblemDetails(t *testing.T) {
	e := ksef.DecodeError(400, http.Header{"Content-Type": {"application/problem+json"}}, []byte(problemBody))
	if e.Code != ksef.CodeInvalidChallenge || e.TraceID != "trace-123" || e.Message != "Nieprawidłowe wyzwanie autoryzacyjne." {
		t.Errorf("%+v", e)
	}
	if len(e.Details) != 1 || e.Details[0] != "wyzwanie wygasło" {
		t.Errorf("details %v", e.Details)
	}
}

func TestDecodeErrorForbidden(t *testing.T) {
	e := ksef.DecodeError(403, http.Header{"Content-Type": {"application/problem+json"}}, []byte(forbiddenBody))
	if !errors.Is(e, ksef.ErrForbidden) || e.ReasonCode != ksef.ReasonMissingPermissions || e.Security["requiredAnyOfPermissions"] == nil {
		t.Errorf("%+v", e)
	}
	if !strings.Contains(e.Error(), "reason=missing-permissions") {
		t.Errorf("Error() = %q", e.Error())
	}
	// WAF: empty body
	e = ksef.DecodeError(403, http.Header{}, nil)
	if !errors.Is(e, ksef.ErrForbidden) || e.Error() != "ksef: 403 Forbidden" {
		t.Errorf("empty 403: %q", e.Error())
	}
	// HTML body
	e = ksef.DecodeError(403, http.Header{"Content-Type": {"text/html"}}, []byte("<html><body>Request blocked (Incapsula)</body></html>"))
	if !errors.Is(e, ksef.ErrForbidden) || e.Message != "" || len(e.Body) == 0 {
		t.Errorf("html 403: %+v", e)
	}
}

func TestDecodeError429Legacy(t *testing.T) {
	body := `{"status":{"code":429,"description":"Too Many Requests","details":["Przekroczono limit 20 żądań na minutę. Spróbuj ponownie po 30 sekundach."]}}`
	e := ksef.DecodeError(429, http.Header{"Retry-After": {"30"}}, []byte(body))
	if !errors.Is(e, ksef.ErrRateLimited) || e.RetryAfter != 30*time.Second || e.Message != "Too Many Requests" || len(e.Details) != 1 {
		t.Errorf("%+v", e)
	}
	if !strings.Contains(e.Error(), "retry after 30s") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestAPIErrorSentinels(t *testing.T) {
	for status, want := range map[int]error{401: ksef.ErrUnauthorized, 403: ksef.ErrForbidden, 404: ksef.ErrNotFound, 410: ksef.ErrGone, 429: ksef.ErrRateLimited} {
		e := ksef.DecodeError(status, nil, nil)
		for _, s := range []error{ksef.ErrUnauthorized, ksef.ErrForbidden, ksef.ErrNotFound, ksef.ErrGone, ksef.ErrRateLimited} {
			if errors.Is(e, s) != (s == want) {
				t.Errorf("%d: Is(%v) = %v", status, s, !(s == want))
			}
		}
	}
	if errors.Is(ksef.DecodeError(400, nil, nil), ksef.ErrNotFound) {
		t.Error("400 is not found")
	}
}

func TestAPIErrorRedactsTokens(t *testing.T) {
	body := `{"title":"x","status":401,"detail":"token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcdEFGH rejected"}`
	e := ksef.DecodeError(401, nil, []byte(body))
	if strings.Contains(e.Error(), "eyJhbGciOiJSUzI1NiJ9") {
		t.Errorf("token in %q", e.Error())
	}
}

func TestAPIErrorFromServer(t *testing.T) {
	c, mux := clientSetup(t)
	mux.HandleFunc("POST /auth/ksef-token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(legacyBody))
	})
	_, err := c.Auth.InitToken(t.Context(), &ksef.InitTokenAuthenticationRequest{Challenge: "c"})
	var ae *ksef.APIError
	if !errors.As(err, &ae) || ae.Method != "POST" || ae.Path != "/auth/ksef-token" || !ksef.IsCode(err, ksef.CodeUnknownPublicKey) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "ksef: POST /auth/ksef-token: 400 Bad Request [21470]") {
		t.Errorf("Error() = %q", err)
	}
}

// TestExceptionCodesCoverSpec checks that every exception code listed in
// the spec's 400 descriptions has a constant with a description.
func TestExceptionCodesCoverSpec(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"paths"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	re := regexp.MustCompile(`\|\s*(\d{4,5})\s*\|`)
	seen := map[int]bool{}
	for _, ops := range doc.Paths {
		for _, op := range ops {
			for _, m := range re.FindAllStringSubmatch(op.Responses["400"].Description, -1) {
				n, _ := strconv.Atoi(m[1])
				seen[n] = true
			}
		}
	}
	if len(seen) < 50 {
		t.Fatalf("found only %d codes in the spec", len(seen))
	}
	for n := range seen {
		c := ksef.ExceptionCode(n)
		if !c.Known() || c.Description() == "" || c.String() == strconv.Itoa(n) {
			t.Errorf("code %d has no constant/description", n)
		}
	}
	if ksef.ExceptionCode(12345).Known() || ksef.ExceptionCode(12345).String() != "12345" {
		t.Error("unknown code")
	}
}

func TestStatusError(t *testing.T) {
	for code, want := range map[int]error{415: ksef.ErrAuthNoPermissions, 425: ksef.ErrAuthRevoked, 450: ksef.ErrAuthInvalidToken, 460: ksef.ErrAuthCertificate, 470: ksef.ErrAuthDeceased, 480: ksef.ErrAuthBlocked, 500: ksef.ErrAuthUnknown, 550: ksef.ErrAuthCancelled} {
		e := &ksef.StatusError{Operation: "auth", ReferenceNumber: "ref", Code: code, Description: "d"}
		if !errors.Is(e, want) {
			t.Errorf("%d: not %v", code, want)
		}
		if errors.Is(e, ksef.ErrAuthNoPermissions) != (code == 415) {
			t.Errorf("%d matches 415", code)
		}
		if e.Retryable() != (code == 550) {
			t.Errorf("%d retryable", code)
		}
		if !strings.HasPrefix(e.Error(), "ksef: auth ref: status ") {
			t.Errorf("Error() = %q", e.Error())
		}
		// The Polish description comes with the sentinel's English meaning.
		if !strings.Contains(e.Error(), "status "+strconv.Itoa(code)+" (auth") || !strings.HasSuffix(e.Error(), "): d") {
			t.Errorf("Error() = %q, want the English meaning after the code", e.Error())
		}
	}
	e := &ksef.StatusError{Operation: "auth", ReferenceNumber: "ref", Code: 450, Description: "Uwierzytelnianie zakończone niepowodzeniem", Details: []string{"Token nieaktywny"}}
	if w := "ksef: auth ref: status 450 (authentication failed: invalid challenge or token): Uwierzytelnianie zakończone niepowodzeniem (Token nieaktywny)"; e.Error() != w {
		t.Errorf("Error() = %q, want %q", e.Error(), w)
	}
	if s := (&ksef.StatusError{Operation: "session", Code: 450, Description: "d"}).Error(); s != "ksef: session: status 450: d" {
		t.Errorf("a code without a sentinel: %q", s)
	}
	if errors.Is(&ksef.StatusError{Operation: "session", Code: 450}, ksef.ErrAuthInvalidToken) {
		t.Error("session status matched auth sentinel")
	}
}

var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.`)

func FuzzDecodeError(f *testing.F) {
	f.Add(401, `{"detail":"bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}`, "")
	for _, b := range []string{legacyBody, problemBody, forbiddenBody, "", "{}", "null", `{"exception":null}`, `{"errors":[{"code":"x"}]}`, `{"status":"x"}`, "<html/>"} {
		f.Add(400, b, "")
		f.Add(429, b, "120")
	}
	f.Fuzz(func(t *testing.T, status int, body, retryAfter string) {
		e := ksef.DecodeError(status, http.Header{"Retry-After": {retryAfter}}, []byte(body))
		if e == nil || e.StatusCode != status {
			t.Fatal("bad result")
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, "ksef: ") {
			t.Fatalf("message %q", msg)
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative RetryAfter")
		}
		if len(e.Codes) > 0 && e.Code != e.Codes[0] {
			t.Fatal("Code != Codes[0]")
		}
		if jwtLike.MatchString(msg) {
			t.Fatalf("JWT-like text in %q", msg)
		}
	})
}
