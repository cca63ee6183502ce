package ksefsim

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

// TestCheapChecksBeforeVerification shows that a large signed document
// whose challenge was already used is refused with 21111 without running
// the XAdES verification (counted by s.verifications), as are documents
// with an unknown challenge or refused by the XSD.
func TestCheapChecksBeforeVerification(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	cred := seal(t, nip)
	ch := h.challenge()
	// A document inflated by a 900 kB comment inside the AuthTokenRequest
	// (covered by the signature, allowed by the schema).
	padding := "\n<!--" + strings.Repeat("x", 900_000) + "-->\n"
	doc := authXML("", ch.Challenge, nipCtx(nip), "certificateSubject", padding)
	signed := sign(t, doc, cred, h.clk.Now().Add(-time.Minute))
	if len(signed) < 900_000 {
		t.Fatalf("document only %d bytes", len(signed))
	}
	if w := h.do(req{method: "POST", path: "/auth/xades-signature", body: signed}); w.Code != http.StatusAccepted {
		t.Fatalf("first use: %d %s", w.Code, w.Body)
	}
	if n := h.s.verifications.Load(); n != 1 {
		t.Fatalf("%d verifications after one login, want 1", n)
	}
	w := h.do(req{method: "POST", path: "/auth/xades-signature", body: signed})
	if w.Code != http.StatusBadRequest || exceptionCode(t, w) != 21111 {
		t.Fatalf("replay: %d %s, want 400/21111", w.Code, w.Body)
	}
	unknown := sign(t, authXML("", "20260101-CR-0123456789-ABCDEF0123-0A", nipCtx(nip), "certificateSubject", padding), cred, h.clk.Now().Add(-time.Minute))
	if w := h.do(req{method: "POST", path: "/auth/xades-signature", body: unknown}); exceptionCode(t, w) != 21111 {
		t.Fatalf("unknown challenge: %d %s, want 400/21111", w.Code, w.Body)
	}
	bad := sign(t, authXML("", h.challenge().Challenge, ctxID{"Nip", nip[:5] + "<evil/>" + nip[5:]}, "certificateSubject", ""), cred, h.clk.Now().Add(-time.Minute))
	if w := h.do(req{method: "POST", path: "/auth/xades-signature", body: bad}); exceptionCode(t, w) != 21401 {
		t.Fatalf("element inside Nip: %d %s, want 400/21401", w.Code, w.Body)
	}
	if n := h.s.verifications.Load(); n != 1 {
		t.Errorf("%d verifications, want 1: the refused documents were verified", n)
	}
}

// TestAuthXSDRefusals posts signed documents with child elements or
// attributes inside Challenge, Nip and SubjectIdentifierType: the simulator
// refuses each with 21401, ksef.ParseAuthTokenRequest refuses it, and
// xmllint refuses the unsigned document against the official schema.
func TestAuthXSDRefusals(t *testing.T) {
	h := newHarness(t)
	nip := randomNIP()
	cred := seal(t, nip)
	cases := map[string]func(ch string) []byte{
		"element inside Nip": func(ch string) []byte {
			return authXML("", ch, ctxID{"Nip", nip[:5] + "<evil/>" + nip[5:]}, "certificateSubject", "")
		},
		"element inside Challenge": func(ch string) []byte {
			return authXML("", ch[:10]+"<b/>"+ch[10:], nipCtx(nip), "certificateSubject", "")
		},
		"element inside SubjectIdentifierType": func(ch string) []byte {
			return authXML("", ch, nipCtx(nip), "certificate<x/>Subject", "")
		},
		"attribute on Challenge": func(ch string) []byte {
			return bytes.Replace(authXML("", ch, nipCtx(nip), "certificateSubject", ""), []byte("<Challenge>"), []byte(`<Challenge id="1">`), 1)
		},
		"attribute on Nip": func(ch string) []byte {
			return bytes.Replace(authXML("", ch, nipCtx(nip), "certificateSubject", ""), []byte("<Nip>"), []byte(`<Nip x="y">`), 1)
		},
		"attribute on SubjectIdentifierType": func(ch string) []byte {
			return bytes.Replace(authXML("", ch, nipCtx(nip), "certificateSubject", ""), []byte("<SubjectIdentifierType>"), []byte(`<SubjectIdentifierType x="y">`), 1)
		},
	}
	testenv.RequireTool(t, "xmllint")
	xsdPath := filepath.Join(testenv.SpecDir(t), "xsd", "auth", "schemat_auth_v2-1.xsd")
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			doc := build(h.challenge().Challenge)
			signed := sign(t, doc, cred, h.clk.Now().Add(-time.Minute))
			w := h.do(req{method: "POST", path: "/auth/xades-signature", body: signed})
			if w.Code != http.StatusBadRequest || exceptionCode(t, w) != 21401 {
				t.Errorf("simulator: %d %s, want 400/21401", w.Code, w.Body)
			}
			if _, err := ksef.ParseAuthTokenRequest(signed); err == nil {
				t.Error("ksef.ParseAuthTokenRequest accepts it")
			}
			p := filepath.Join(t.TempDir(), "doc.xml")
			if err := os.WriteFile(p, doc, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := exec.Command("xmllint", "--noout", "--schema", xsdPath, p).Run(); err == nil {
				t.Error("xmllint accepts it")
			}
		})
	}
}
