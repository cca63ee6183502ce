package ksef_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

const testChallenge = "20250625-CR-20F5EE4000-DA48AE4124-46"

func TestParseAuthTokenRequestSamples(t *testing.T) {
	dir := filepath.Join(testenv.SpecDir(t), "samples", "auth")
	want := map[string]ksef.ContextIdentifier{
		"AuthTokenRequest-context-identifier-internal-id.xml":                  ksef.MustContext(ksef.InternalIDContext("5265877635-12345")),
		"AuthTokenRequest-context-identifier-nip-vat-ue.xml":                   ksef.MustContext(ksef.NipVatUeContext("5265877635-ATU12345678")),
		"AuthTokenRequest-context-identifier-nip.xml":                          ksef.MustContext(ksef.NIPContext("5265877635")),
		"AuthTokenRequest-subject-identifier-type-certificate-fingerprint.xml": ksef.MustContext(ksef.NIPContext("5265877635")),
	}
	for name, ctxID := range want {
		doc, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ksef.ParseAuthTokenRequest(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := r.ContextIdentifier.Context()
		if err != nil || got != ctxID {
			t.Errorf("%s: context = %v, %v; want %v", name, got, err, ctxID)
		}
		if r.XMLName.Space != ksef.AuthTokenNamespaceV20 {
			t.Errorf("%s: namespace %q", name, r.XMLName.Space)
		}
		wantSubject := ksef.AuthSubjectCertificateSubject
		if strings.Contains(name, "fingerprint") {
			wantSubject = ksef.AuthSubjectCertificateFingerprint
		}
		if r.SubjectIdentifierType != wantSubject {
			t.Errorf("%s: subject type %q", name, r.SubjectIdentifierType)
		}
	}
}

func authTokenCases() map[string]*ksef.AuthTokenRequest {
	mk := func(c ksef.ContextIdentifier, s ksef.AuthSubjectIdentifierType, ips *ksef.AllowedIps) *ksef.AuthTokenRequest {
		r, err := ksef.NewAuthTokenRequest(testChallenge, c, s, ips)
		if err != nil {
			panic(err)
		}
		return r
	}
	return map[string]*ksef.AuthTokenRequest{
		"nip":         mk(ksef.MustContext(ksef.NIPContext("5265877635")), ksef.AuthSubjectCertificateSubject, nil),
		"internal":    mk(ksef.MustContext(ksef.InternalIDContext("5265877635-12345")), ksef.AuthSubjectCertificateSubject, nil),
		"nipvatue":    mk(ksef.MustContext(ksef.NipVatUeContext("5265877635-ATU12345678")), ksef.AuthSubjectCertificateFingerprint, nil),
		"peppol":      mk(ksef.MustContext(ksef.PeppolIDContext("PPL123456")), ksef.AuthSubjectCertificateFingerprint, nil),
		"policy":      mk(ksef.MustContext(ksef.NIPContext("5265877635")), ksef.AuthSubjectCertificateSubject, &ksef.AllowedIps{Ip4Addresses: []string{"192.168.0.1", "10.0.0.2"}, Ip4Ranges: []string{"10.0.0.1-10.0.0.20"}, Ip4Masks: []string{"10.1.0.0/16"}}),
		"policy-mask": mk(ksef.MustContext(ksef.NIPContext("5265877635")), ksef.AuthSubjectCertificateSubject, &ksef.AllowedIps{Ip4Masks: []string{"10.1.0.0/16"}}),
	}
}

func TestAuthTokenRequestRoundTrip(t *testing.T) {
	for name, r := range authTokenCases() {
		doc, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, []byte(`xmlns="`+ksef.AuthTokenNamespace+`"`)) {
			t.Errorf("%s: namespace missing:\n%s", name, doc)
		}
		back, err := ksef.ParseAuthTokenRequest(doc)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, doc)
		}
		a, _ := r.ContextIdentifier.Context()
		b, _ := back.ContextIdentifier.Context()
		if a != b || back.Challenge != r.Challenge || back.SubjectIdentifierType != r.SubjectIdentifierType {
			t.Errorf("%s: round trip mismatch: %+v vs %+v", name, r, back)
		}
		if (r.AuthorizationPolicy == nil) != (back.AuthorizationPolicy == nil) {
			t.Errorf("%s: policy lost", name)
		} else if r.AuthorizationPolicy != nil && strings.Join(back.AuthorizationPolicy.AllowedIps.Ip4Address, ",") != strings.Join(r.AuthorizationPolicy.AllowedIps.Ip4Address, ",") {
			t.Errorf("%s: addresses differ", name)
		}
	}
}

// TestAuthTokenRequestXSD validates the marshalled documents with xmllint
// against the official schema.
func TestAuthTokenRequestXSD(t *testing.T) {
	var cases []xsdtest.Case
	for name, r := range authTokenCases() {
		if name == "nipvatue" || name == "peppol" {
			// The official XSD writes these patterns with "^...$"; XSD
			// regular expressions have no anchors, so "$" is a literal and
			// no real value can match. KSeF itself accepts them.
			continue
		}
		doc, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, xsdtest.Case{Name: name, Doc: doc})
	}
	verdicts, _ := xsdtest.Xmllint(t, "xsd/auth/schemat_auth_v2-1.xsd", cases)
	for i, v := range verdicts {
		if !v.Valid {
			t.Errorf("%s: xmllint:\n%s\n%s", cases[i].Name, v.Output, cases[i].Doc)
		}
	}
}

func TestAuthTokenRequestInvalid(t *testing.T) {
	bad := []string{
		`<AuthTokenRequest xmlns="urn:other"><Challenge>` + testChallenge + `</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>`,
		`<AuthTokenRequest xmlns="` + ksef.AuthTokenNamespace + `"><Challenge>short</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>`,
		`<AuthTokenRequest xmlns="` + ksef.AuthTokenNamespace + `"><Challenge>` + testChallenge + `</Challenge><ContextIdentifier><Nip>5265877635</Nip><PeppolId>PPL123456</PeppolId></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>`,
		`<AuthTokenRequest xmlns="` + ksef.AuthTokenNamespace + `"><Challenge>` + testChallenge + `</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>other</SubjectIdentifierType></AuthTokenRequest>`,
		`not xml`,
	}
	for i, doc := range bad {
		if _, err := ksef.ParseAuthTokenRequest([]byte(doc)); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
}

func FuzzParseAuthTokenRequest(f *testing.F) {
	for _, r := range authTokenCases() {
		doc, _ := r.Marshal()
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := ksef.ParseAuthTokenRequest(doc)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ksef.ParseAuthTokenRequest(out); err != nil {
			t.Fatalf("re-parse of marshalled output failed: %v\n%s", err, out)
		}
	})
}

func TestAllowedIpsValidate(t *testing.T) {
	good := &ksef.AllowedIps{Ip4Addresses: []string{"0.0.0.0", "255.255.255.255", "10.1.2.3"}, Ip4Ranges: []string{"10.0.0.1-10.0.0.9"}, Ip4Masks: []string{"10.0.0.0/8", "1.2.3.4/0", "1.2.3.4/32"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*ksef.AllowedIps{
		{Ip4Addresses: []string{"256.1.1.1"}},
		{Ip4Addresses: []string{"01.1.1.1"}},
		{Ip4Addresses: []string{"1.1.1"}},
		{Ip4Addresses: []string{"::1"}},
		{Ip4Ranges: []string{"10.0.0.1"}},
		{Ip4Ranges: []string{"10.0.0.1-10.0.0"}},
		{Ip4Masks: []string{"10.0.0.0/33"}},
		{Ip4Masks: []string{"10.0.0.0/08"}},
		{Ip4Masks: []string{"10.0.0.0"}},
		{Ip4Addresses: strings.Split("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9,1.1.1.10,1.1.1.11", ",")},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
		if _, err := ksef.NewAuthTokenRequest(testChallenge, ksef.MustContext(ksef.NIPContext("5265877635")), ksef.AuthSubjectCertificateSubject, bad); err == nil {
			t.Errorf("AuthTokenRequest accepted %+v", bad)
		}
	}
}

// allowedIpsPatterns reads the item patterns of AllowedIps from the spec.
func allowedIpsPatterns(t testing.TB) map[string]*regexp.Regexp {
	var doc struct {
		Components struct {
			Schemas struct {
				AllowedIps struct {
					Properties map[string]struct {
						Items struct {
							Pattern string `json:"pattern"`
						} `json:"items"`
					} `json:"properties"`
				} `json:"AllowedIps"`
			} `json:"schemas"`
		} `json:"components"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	out := map[string]*regexp.Regexp{}
	for name, p := range doc.Components.Schemas.AllowedIps.Properties {
		out[name] = regexp.MustCompile(p.Items.Pattern)
	}
	if len(out) != 3 {
		t.Fatalf("patterns: %v", out)
	}
	return out
}

// FuzzAllowedIpsMatchesSpec compares the local validation with the
// spec's regular expressions.
func FuzzAllowedIpsMatchesSpec(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "255.255.255.255", "256.0.0.0", "1.2.3.4-5.6.7.8", "1.2.3.4/32", "1.2.3.4/33", "1.2.3.4/07", "", "1..2.3", "1.2.3.4/+8", "1.2.3.4/-0", "+1.2.3.4"} {
		f.Add(s)
	}
	pats := allowedIpsPatterns(f)
	f.Fuzz(func(t *testing.T, s string) {
		for name, list := range map[string]*ksef.AllowedIps{
			"ip4Addresses": {Ip4Addresses: []string{s}},
			"ip4Ranges":    {Ip4Ranges: []string{s}},
			"ip4Masks":     {Ip4Masks: []string{s}},
		} {
			want := pats[name].MatchString(s)
			got := list.Validate() == nil
			if got != want {
				t.Fatalf("%s %q: local %v, spec pattern %v", name, s, got, want)
			}
		}
	})
}
