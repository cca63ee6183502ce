package contract

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestScanAPIMethods(t *testing.T) {
	methods, problems, err := ScanAPIMethods("testdata/sdk")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range methods {
		got = append(got, m.Func+" "+m.Op)
	}
	want := []string{
		"(*Service).Challenge POST /auth/challenge",
		"(Service).Sessions GET /sessions",
		"Login POST /auth/ksef-token",
		"Login GET /auth/{referenceNumber}",
		"Again GET /sessions",
		"Bogus GET /no/such",
	}
	if !slices.Equal(got, want) {
		t.Errorf("methods:\n got %q\nwant %q", got, want)
	}
	if methods[0].Pos != "api.go:8" {
		t.Errorf("position %q, want api.go:8", methods[0].Pos)
	}
	if len(problems) != 2 || !strings.Contains(problems[0], "malformed") || !strings.Contains(problems[1], "not in the doc comment") {
		t.Errorf("problems %q", problems)
	}
}

func TestComputeCoverage(t *testing.T) {
	s := Default(t)
	methods, _, err := ScanAPIMethods("testdata/sdk")
	if err != nil {
		t.Fatal(err)
	}
	handled := []string{"POST /auth/challenge", "GET /sessions", "POST /auth/ksef-token", "DELETE /tokens/{referenceNumber}", "GET /sim/only"}
	exercised := []string{"POST /auth/challenge", "GET /sessions", "GET /auth/{referenceNumber}", "GET /tokens"}
	cov := s.ComputeCoverage(methods, handled, exercised)
	if len(cov.Operations) != 83 {
		t.Errorf("%d operations", len(cov.Operations))
	}
	if cov.Covered() != 1 {
		t.Errorf("covered %d, want 1 (POST /auth/challenge)", cov.Covered())
	}
	wantProblems := []string{
		"DELETE /tokens/{referenceNumber}: missing SDK method, test calling it",
		"GET /auth/{referenceNumber}: missing simulator handler",
		"GET /sessions: missing a single SDK method (claimed by (Service).Sessions, Again)",
		"POST /auth/ksef-token: missing test calling it",
		"api.go:29: SDK Bogus names \"GET /no/such\"",
		"simulator handles \"GET /sim/only\"",
	}
	problems := cov.Problems()
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, problems[i], w)
		}
	}
	var buf bytes.Buffer
	cov.WriteReport(&buf)
	out := buf.String()
	if !strings.HasPrefix(out, "operations covered: 1/83\n") || !strings.Contains(out, "2x   x    x     GET /sessions") {
		t.Errorf("report:\n%s", out)
	}
}

func TestScanWireTypes(t *testing.T) {
	types, err := ScanWireTypes("testdata/sdk")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, wt := range types {
		names = append(names, wt.Name)
	}
	want := []string{"AuthenticationChallengeResponse", "AuthenticationContextIdentifier", "AuthenticationInitResponse", "NotASchema", "TokenInfo"}
	if !slices.Equal(names, want) {
		t.Fatalf("types %q, want %q", names, want)
	}
	var fields []string
	for _, f := range types[0].Fields {
		fields = append(fields, f.JSON+":"+f.Kind)
	}
	if !slices.Equal(fields, []string{"challenge:string", "timestamp:string", "timestampMs:integer", "clientIp:string"}) {
		t.Errorf("fields %q", fields)
	}
	emb := types[1].Fields
	if len(emb) != 2 || emb[0].JSON != "type" || emb[0].Kind != "string" || emb[1].JSON != "value" || !emb[1].OmitEmpty {
		t.Errorf("embedded fields %+v", emb)
	}
	if f := types[2].Fields[1]; f.JSON != "Token" || f.Kind != "object" {
		t.Errorf("untagged field %+v", f)
	}
	if f := types[4].Fields[0]; f.Kind != "" {
		t.Errorf("custom marshaler kind %q, want unknown", f.Kind)
	}
}

func TestCheckWireType(t *testing.T) {
	s := Default(t)
	types, err := ScanWireTypes("testdata/sdk")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]WireType{}
	for _, wt := range types {
		by[wt.Name] = wt
	}
	check := func(name string, asRequest bool) ([]string, bool) {
		return s.CheckWireType(by[name], asRequest)
	}
	if p, ok := check("AuthenticationChallengeResponse", false); !ok || len(p) != 0 {
		t.Errorf("AuthenticationChallengeResponse: %q %v", p, ok)
	}
	if _, ok := check("NotASchema", false); ok {
		t.Error("NotASchema checked")
	}
	if p, _ := check("AuthenticationContextIdentifier", false); len(p) != 0 {
		t.Errorf("response direction: %q", p)
	}
	if p, _ := check("AuthenticationContextIdentifier", true); len(p) != 1 || !strings.Contains(p[0], `required property "value" (field Value) is omitempty`) {
		t.Errorf("request direction: %q", p)
	}
	p, _ := check("TokenInfo", false)
	if len(p) != 2 || !strings.Contains(p[0], "not in the schema: extra (field Extra)") || !strings.Contains(p[1], `"validUntil" (field ValidUntil) is integer in Go but string`) {
		t.Errorf("TokenInfo: %q", p)
	}
	p, _ = check("AuthenticationInitResponse", false)
	if len(p) != 2 || !strings.Contains(p[0], "missing properties: authenticationToken") || !strings.Contains(p[1], "Token (field Token)") {
		t.Errorf("AuthenticationInitResponse: %q", p)
	}
}

func TestWireEnums(t *testing.T) {
	s := Default(t)
	enums, err := ScanWireEnums("testdata/sdk")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range enums {
		names = append(names, e.Name)
	}
	// ContextType has no schema; Secret is not an enum but is a string type.
	if !slices.Equal(names, []string{"AuthenticationContextIdentifierType", "ContextType", "Secret"}) {
		t.Fatalf("enums %q", names)
	}
	if len(enums[0].Values) != 3 {
		t.Fatalf("values %+v", enums[0].Values)
	}
	problems, missing, ok := s.CheckWireEnum(enums[0])
	if !ok {
		t.Fatal("not checked")
	}
	if len(problems) != 2 || !strings.Contains(problems[0], `CtxInternal = "InternalID" is not a value`) || !strings.Contains(problems[1], `CtxNip2 repeats the value "Nip" of CtxNip`) {
		t.Errorf("problems %q", problems)
	}
	if !slices.Equal(missing, []string{"InternalId", "NipVatUe", "PeppolId"}) {
		t.Errorf("missing %q", missing)
	}
	if _, _, ok := s.CheckWireEnum(enums[1]); ok {
		t.Error("ContextType checked")
	}
}
