package authxsd

import (
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

func TestGeneratedFilesAreCurrent(t *testing.T) {
	xsdtest.CheckGenerated(t, ".", xsdtest.Directive(t, "."))
}

const challenge = "20260310-CR-0123456789-ABCDEF0123-0A"

// doc builds an AuthTokenRequest in namespace ns with the given inner
// Challenge, context and subject markup.
func doc(ns, ch, ctx, subj, extra string) string {
	return `<AuthTokenRequest xmlns="` + ns + `"><Challenge>` + ch + `</Challenge><ContextIdentifier>` + ctx +
		`</ContextIdentifier><SubjectIdentifierType>` + subj + `</SubjectIdentifierType>` + extra + `</AuthTokenRequest>`
}

func TestReadValid(t *testing.T) {
	sig := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>`
	plain := doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", "")
	tests := []struct {
		name string
		in   string
		want Document
	}{
		{"unsigned 2.1", plain, Document{Namespace: Namespace21}},
		{"2.0 namespace", doc(Namespace20, challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), Document{Namespace: Namespace20}},
		{"prefixed", `<a:AuthTokenRequest xmlns:a="` + Namespace21 + `"><a:Challenge>` + challenge + `</a:Challenge><a:ContextIdentifier><a:Nip>6649212112</a:Nip></a:ContextIdentifier><a:SubjectIdentifierType>certificateSubject</a:SubjectIdentifierType></a:AuthTokenRequest>`,
			Document{Namespace: Namespace21}},
		{"enveloped signature", doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", sig), Document{Namespace: Namespace21, Signatures: 1}},
		{"enveloping", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:Object>` + plain + `</ds:Object></ds:Signature>`,
			Document{Namespace: Namespace21, Signatures: 1, Enveloping: true}},
		{"enveloping base64", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:Object>` + base64.StdEncoding.EncodeToString([]byte(plain)) + `</ds:Object></ds:Signature>`,
			Document{Namespace: Namespace21, Signatures: 1, Enveloping: true, Base64: true}},
		{"comment inside the NIP", doc(Namespace21, challenge, "<Nip>66492<!-- c -->12112</Nip>", "certificateSubject", ""), Document{Namespace: Namespace21}},
		{"collapsed white space", doc(Namespace21, " "+challenge+"\n", "<Nip>6649212112</Nip>", " certificateSubject ", ""), Document{Namespace: Namespace21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Challenge, want.ContextType, want.ContextValue, want.SubjectIdentifierType = challenge, "Nip", "6649212112", "certificateSubject"
			if d.Namespace != want.Namespace || d.Challenge != want.Challenge || d.ContextType != want.ContextType ||
				d.ContextValue != want.ContextValue || d.SubjectIdentifierType != want.SubjectIdentifierType ||
				d.Signatures != want.Signatures || d.Enveloping != want.Enveloping || d.Base64 != want.Base64 {
				t.Errorf("got %+v\nwant %+v", *d, want)
			}
		})
	}
	d, err := Read([]byte(doc(Namespace21, challenge, "<InternalId>6649212112-12345</InternalId>", "certificateFingerprint",
		"<AuthorizationPolicy><AllowedIps><Ip4Address>10.0.0.1</Ip4Address><Ip4Range>10.0.0.1-10.0.0.9</Ip4Range><Ip4Mask>10.0.0.0/8</Ip4Mask></AllowedIps></AuthorizationPolicy>")))
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasAuthorizationPolicy || len(d.Ip4Addresses) != 1 || d.Ip4Ranges[0] != "10.0.0.1-10.0.0.9" || d.Ip4Masks[0] != "10.0.0.0/8" || d.ContextType != "InternalId" {
		t.Errorf("got %+v", *d)
	}
}

// invalidDocs are refused by Read with the given kind; the schema cases are
// refused by xmllint as well (TestInvalidAgreesWithXmllint).
var invalidDocs = []struct {
	name   string
	in     string
	kind   ErrorKind
	schema bool
}{
	{"element inside Nip", doc(Namespace21, challenge, "<Nip>66492<evil/>12112</Nip>", "certificateSubject", ""), KindSchema, true},
	{"element inside Challenge", doc(Namespace21, "20260310-CR-0123456789-<x/>ABCDEF0123-0A", "<Nip>6649212112</Nip>", "certificateSubject", ""), KindSchema, true},
	{"element inside SubjectIdentifierType", doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificate<b/>Subject", ""), KindSchema, true},
	{"attribute on Challenge", strings.Replace(doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), "<Challenge>", `<Challenge evil="1">`, 1), KindSchema, true},
	{"attribute on Nip", doc(Namespace21, challenge, `<Nip id="x">6649212112</Nip>`, "certificateSubject", ""), KindSchema, true},
	{"attribute on SubjectIdentifierType", strings.Replace(doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), "<SubjectIdentifierType>", `<SubjectIdentifierType a="b">`, 1), KindSchema, true},
	{"two contexts", doc(Namespace21, challenge, "<Nip>6649212112</Nip><Nip>6649212112</Nip>", "certificateSubject", ""), KindSchema, true},
	{"unknown subject type", doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateOther", ""), KindSchema, true},
	{"bad challenge", doc(Namespace21, "20260310-XX-0123456789-ABCDEF0123-0A", "<Nip>6649212112</Nip>", "certificateSubject", ""), KindSchema, true},
	{"unknown element", doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", "<Extra/>"), KindSchema, true},
	{"xml:base on the root", strings.Replace(doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), "<AuthTokenRequest ", `<AuthTokenRequest xml:base="http://example.com/" `, 1), KindSchema, true},
	{"wrong namespace", doc("urn:other", challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), KindSchema, false},
	{"not XML", "<AuthTokenRequest", KindMalformed, false},
	{"DOCTYPE", `<!DOCTYPE a [<!ENTITY x "6649212112">]>` + doc(Namespace21, challenge, "<Nip>&x;</Nip>", "certificateSubject", ""), KindMalformed, false},
	{"BOM", "\xEF\xBB\xBF" + doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", ""), KindEncoding, false},
	{"not UTF-8", doc(Namespace21, challenge, "<Nip>6649212112\xff</Nip>", "certificateSubject", ""), KindEncoding, false},
}

func TestReadRefuses(t *testing.T) {
	for _, tt := range invalidDocs {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read([]byte(tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Read = %+v, %v; want an *Error", d, err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind %d, want %d: %v", e.Kind, tt.kind, e)
			}
		})
	}
}

// TestInvalidAgreesWithXmllint checks that libxml2 refuses the documents
// that Read refuses for schema reasons, and accepts the valid ones.
func TestInvalidAgreesWithXmllint(t *testing.T) {
	testenv.RequireTool(t, "xmllint")
	xsdPath := filepath.Join(testenv.SpecDir(t), "xsd", "auth", "schemat_auth_v2-1.xsd")
	dir := t.TempDir()
	run := func(name, body string) error {
		p := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command("xmllint", "--noout", "--schema", xsdPath, p).Run()
	}
	if err := run("valid", doc(Namespace21, challenge, "<Nip>66492<!-- c -->12112</Nip>", "certificateSubject", "")); err != nil {
		t.Fatalf("xmllint refuses the valid document: %v", err)
	}
	for i, tt := range invalidDocs {
		if !tt.schema {
			continue
		}
		if err := run("doc"+string(rune('a'+i)), tt.in); err == nil {
			t.Errorf("%s: xmllint accepts a document Read refuses", tt.name)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(doc(Namespace21, challenge, "<Nip>6649212112</Nip>", "certificateSubject", "")))
	for _, tt := range invalidDocs {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Read(in)
		if (d == nil) == (err == nil) {
			t.Fatalf("Read = %v, %v", d, err)
		}
		if d == nil {
			return
		}
		if len(d.Challenge) != 36 || d.ContextValue == "" || (d.SubjectIdentifierType != "certificateSubject" && d.SubjectIdentifierType != "certificateFingerprint") {
			t.Fatalf("accepted %+v", *d)
		}
	})
}

func TestDotNetAnchors(t *testing.T) {
	for _, c := range []struct{ typ, value string }{
		{"NipVatUe", "5265877635-ATU12345678"},
		{"PeppolId", "PPL123456"},
	} {
		d, err := Read([]byte(doc(Namespace21, challenge, "<"+c.typ+">"+c.value+"</"+c.typ+">", "certificateSubject", "")))
		if err != nil {
			t.Errorf("%s %s: %v", c.typ, c.value, err)
			continue
		}
		if d.ContextValue != c.value {
			t.Errorf("%s: read %q", c.typ, d.ContextValue)
		}
		// The "$" is an anchor, not a character the value must end with.
		if _, err := Read([]byte(doc(Namespace21, challenge, "<"+c.typ+">"+c.value+"$</"+c.typ+">", "certificateSubject", ""))); err == nil {
			t.Errorf("%s %s$ accepted", c.typ, c.value)
		}
	}
}
